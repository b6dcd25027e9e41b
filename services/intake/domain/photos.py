"""Photos from citizens and field staff: what is accepted and how it is made safe to serve.
Pure: bytes in, bytes out, no I/O.

Nothing of the upload is kept as sent. Its type is read from its first bytes (never from a
file name or a Content-Type header), it is decoded by that format's decoder only, turned
upright from its EXIF orientation, and encoded anew as a JPEG without any metadata: EXIF
(with its GPS position and camera serial), XMP, comments and embedded thumbnails are gone.

Transparent PNG and WebP images are flattened onto white and stored as JPEG too: what is
photographed here (a pothole, a blocked drain, a screenshot of a bill) has no use for
transparency, one output format keeps every reader simple, and a JPEG of a photo is a
fraction of its PNG.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from io import BytesIO

from PIL import Image, ImageOps

MAX_BYTES = 5 * 1024 * 1024
MAX_PER_TICKET = 3
# A 48-megapixel phone camera fits; the header is read before any pixel is decoded.
MAX_PIXELS = 50_000_000
# Stored photos are for looking at, on a screen or printed on a page: 2048 px on the long side.
MAX_SIDE = 2048
DRAFT_SIDE = MAX_SIDE * 15 // 16
THUMBNAIL_SIDE = 320
QUALITY = 85
THUMBNAIL_QUALITY = 80
JPEG = "image/jpeg"

# The formats accepted, by their signatures (WebP: "RIFF", a length, "WEBP").
SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "JPEG"),
    (b"\x89PNG\r\n\x1a\n", 0, "PNG"),
    (b"WEBP", 8, "WEBP"),
)


class PhotoRejected(ValueError):
    """The upload is not a photo this service takes; `code` is the catalogue key."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Processed:
    """A photo as it is stored: re-encoded JPEG and its thumbnail."""

    content_type: str
    width: int
    height: int
    data: bytes
    thumbnail: bytes


def new_photo_id() -> str:
    """Unguessable: anyone with the id may see the photo, so the id is the secret."""
    return "ph_" + secrets.token_urlsafe(16)


def sniff(data: bytes) -> str | None:
    """The Pillow format name the bytes claim by their signature; None for anything else."""
    for signature, offset, name in SIGNATURES:
        if data[offset : offset + len(signature)] == signature:
            if name == "WEBP" and not data.startswith(b"RIFF"):
                continue
            return name
    return None


def process(data: bytes) -> Processed:
    """The photo re-encoded without metadata, upright, at most MAX_SIDE, with its thumbnail;
    raises PhotoRejected for anything too large, of another type, unreadable or too big to
    decode safely."""
    if len(data) > MAX_BYTES:
        raise PhotoRejected("intake.photo_too_large")
    kind = sniff(data)
    if kind is None:
        raise PhotoRejected("intake.photo_unsupported_type")
    try:
        image = _decode(data, kind)
    except Image.DecompressionBombError:
        raise PhotoRejected("intake.photo_too_many_pixels") from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise PhotoRejected("intake.photo_unreadable") from None
    return _encode(image)


def _decode(data: bytes, kind: str) -> Image.Image:
    image = Image.open(BytesIO(data), formats=[kind])
    # Below Pillow's own bomb limit (which only warns up to twice its size): checked on the
    # header, before a pixel is decoded.
    if image.width * image.height > MAX_PIXELS:
        raise Image.DecompressionBombError("too many pixels")
    # JPEG decodes at 1/2, 1/4 or 1/8 scale for far less memory and time. Asking for 15/16
    # of MAX_SIDE lets a 12-MP phone photo (4032 px) decode at half size, 2016 px.
    scale = min(1.0, DRAFT_SIDE / max(image.size))
    image.draft("RGB", (round(image.width * scale), round(image.height * scale)))
    image.load()
    return _flattened(ImageOps.exif_transpose(image))


def _flattened(image: Image.Image) -> Image.Image:
    """RGB; transparent pixels (alpha or a transparent palette colour) onto white."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return image.convert("RGB")


def _encode(image: Image.Image) -> Processed:
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    # Nothing of the original's metadata may ride along into the new file.
    image.info = {}
    data = _jpeg(image, QUALITY)
    small = image.copy()
    small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    return Processed(JPEG, image.width, image.height, data, _jpeg(small, THUMBNAIL_QUALITY))


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = BytesIO()
    # Not optimize=True: 5 % smaller files for two and a half times the encoding time.
    image.save(out, "JPEG", quality=quality, exif=b"")
    return out.getvalue()
