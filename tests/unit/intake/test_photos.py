"""Photos as intake stores them: the type read from the bytes, nothing of the original's
metadata kept (EXIF, GPS), upright, bounded in size and pixels, and a small thumbnail; the
upload throttle; the frequent-caller rule."""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from PIL import Image

from services.intake.api.photos import UploadThrottle
from services.intake.domain import photos
from services.intake.domain.model import day_start, is_frequent
from services.intake.domain.photos import PhotoRejected, process, sniff

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def _exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0131] = "Camera firmware 1.0"
    exif[ORIENTATION] = 6  # taken sideways: shown rotated 90° clockwise
    exif[GPS_IFD] = {1: "N", 2: (39.0, 54.0, 26.0), 3: "E", 4: (116.0, 23.0, 29.0)}
    return exif


def _image(
    kind: str, size: tuple[int, int] = (400, 300), mode: str = "RGB", **save: object
) -> bytes:
    out = BytesIO()
    Image.new(mode, size, (200, 40, 40) if mode == "RGB" else 0).save(out, kind, **save)
    return out.getvalue()


def _reopened(data: bytes) -> Image.Image:
    image = Image.open(BytesIO(data))
    image.load()
    return image


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header promises an enormous image; its pixels are never there."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b""))


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (_image("JPEG"), "JPEG"),
        (_image("PNG"), "PNG"),
        (_image("WEBP"), "WEBP"),
        (_image("GIF", mode="P"), None),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", None),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", None),
        (b"", None),
    ],
)
def test_the_type_is_read_from_the_bytes(data: bytes, kind: str | None) -> None:
    assert sniff(data) == kind


@pytest.mark.parametrize("kind", ["JPEG", "WEBP", "PNG"])
def test_exif_and_gps_are_gone_and_the_photo_is_upright(kind: str) -> None:
    sent = _image(kind, exif=_exif().tobytes())
    assert _reopened(sent).getexif().get_ifd(GPS_IFD)  # the original does carry a position
    stored = process(sent)
    image = _reopened(stored.data)
    assert image.format == "JPEG" and stored.content_type == "image/jpeg"
    assert dict(image.getexif()) == {}
    assert image.getexif().get_ifd(GPS_IFD) == {}
    assert not {"exif", "xmp", "icc_profile", "comment"} & set(image.info)
    assert b"PhoneMaker" not in stored.data and b"PhoneMaker" not in stored.thumbnail
    # Orientation 6 was applied before the tag went: 400×300 sideways is 300×400 upright.
    assert (stored.width, stored.height) == image.size == (300, 400)
    assert dict(_reopened(stored.thumbnail).getexif()) == {}


def test_large_photos_are_bounded_and_the_thumbnail_is_small() -> None:
    stored = process(_image("JPEG", size=(2600, 1800), quality=70))
    assert max(stored.width, stored.height) == photos.MAX_SIDE
    assert max(_reopened(stored.thumbnail).size) == photos.THUMBNAIL_SIDE
    assert len(stored.thumbnail) < len(stored.data)


def test_a_phone_photo_is_decoded_at_half_size() -> None:
    # 4032×3024 decodes as 2016×1512 (JPEG's own scaling), a quarter of the work.
    stored = process(_image("JPEG", size=(4032, 3024)))
    assert (stored.width, stored.height) == (2016, 1512)


def test_transparency_is_flattened_onto_white() -> None:
    stored = process(_image("PNG", size=(64, 64), mode="RGBA"))
    image = _reopened(stored.data)
    assert image.mode == "RGB"
    assert all(channel > 245 for channel in image.getpixel((32, 32)))


def test_sixteen_bit_and_palette_images_are_taken() -> None:
    assert process(_image("PNG", mode="I;16")).content_type == "image/jpeg"
    assert process(_image("PNG", mode="P", transparency=0)).width == 400


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"\xff\xd8\xff" + b"\0" * photos.MAX_BYTES, "intake.photo_too_large"),
        (_image("GIF", mode="P"), "intake.photo_unsupported_type"),
        (b"%PDF-1.7 \xff\xd8\xff", "intake.photo_unsupported_type"),
        (_image("JPEG")[:200], "intake.photo_unreadable"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 garbage", "intake.photo_unreadable"),
        (_png_claiming(20_000, 20_000), "intake.photo_too_many_pixels"),
        (_png_claiming(60_000, 60_000), "intake.photo_too_many_pixels"),
    ],
)
def test_what_is_refused(data: bytes, code: str) -> None:
    with pytest.raises(PhotoRejected) as refused:
        process(data)
    assert refused.value.code == code


def test_ids_are_long_and_random() -> None:
    ids = {photos.new_photo_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(i.startswith("ph_") and len(i) >= 20 for i in ids)


def test_the_throttle_lets_the_free_uploads_through_then_doubles_the_wait() -> None:
    now = [datetime(2026, 5, 1, 9, tzinfo=UTC)]
    throttle = UploadThrottle(3, clock=lambda: now[0])
    assert [throttle.hit("198.51.100.1") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert throttle.hit("198.51.100.1") > 0
    assert throttle.hit("198.51.100.2") == 0.0  # another address has its own count
    now[0] += timedelta(seconds=1)
    assert throttle.hit("198.51.100.1") == 0.0  # one second after the fourth
    assert throttle.hit("198.51.100.1") > 1.0  # the next waits longer
    now[0] += timedelta(hours=2)
    assert throttle.hit("198.51.100.1") == 0.0  # forgotten


def test_a_callers_day_is_the_day_in_beijing() -> None:
    late = datetime(2026, 1, 1, 15, 59, tzinfo=UTC)  # 23:59 in Beijing
    assert day_start(late) == datetime(2025, 12, 31, 16, tzinfo=UTC)
    assert day_start(late + timedelta(minutes=1)) == datetime(2026, 1, 1, 16, tzinfo=UTC)


def test_a_caller_is_frequent_above_the_threshold() -> None:
    assert [is_frequent(n, 5) for n in (1, 5, 6, 20)] == [False, False, True, True]
