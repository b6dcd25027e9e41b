"""Photos on intake with PostgreSQL: the upload and the media routes, calls logged with
photos (all or nothing), field photos kept from dispatch's events, the purge of photos
nobody sent, and the frequent-caller cue; the tables match their migrations."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import text

from proto.assignments import CitizenContacted
from services.common.db import make_engine
from services.common.migrations import upgrade
from services.common.settings import Settings
from services.intake.adapters.orm import metadata
from services.intake.bootstrap import build
from services.intake.config import IntakeSettings
from tests.support import peers
from tests.support.harness import drain, driven
from tests.support.intake import IntakeApi, app_of, count, outbox, publish

pytestmark = pytest.mark.peers

FREE_UPLOADS = 4
GPS_IFD = 0x8825
_addresses = (f"198.51.100.{n}" for n in itertools.count(1))


@pytest.fixture(scope="module")
def api(postgres: peers.Peer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[IntakeApi]:
    name = f"intake_{uuid.uuid4().hex[:8]}"
    peers.create_databases(postgres, (name,))
    data_dir: Path = tmp_path_factory.mktemp("intake-photos")
    settings = Settings(data_dir=data_dir, database_url=postgres.url.replace("{db}", name))
    options = IntakeSettings(photo_uploads_free=FREE_UPLOADS, frequent_caller_per_day=2)
    with TestClient(driven(build(settings, options))) as client:
        yield IntakeApi(client)


def _citizen(api: IntakeApi) -> TestClient:
    """A client from an address of its own, so each test starts with its free uploads."""
    return TestClient(app_of(api.client), client=(next(_addresses), 5000))


def _photo(kind: str = "JPEG", size: tuple[int, int] = (640, 480)) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[GPS_IFD] = {1: "N", 2: (39.0, 54.0, 26.0), 3: "E", 4: (116.0, 23.0, 29.0)}
    out = BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, kind, exif=exif.tobytes())
    return out.getvalue()


def _upload(
    client: TestClient, data: bytes, name: str = "photo.jpg", kind: str = "image/jpeg", **kw: Any
) -> httpx.Response:
    return client.post("/api/v1/photos", files={"file": (name, data, kind)}, **kw)


def _uploaded(api: IntakeApi) -> str:
    response = _upload(_citizen(api), _photo())
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _holder(api: IntakeApi, photo_id: str) -> str | None:
    with app_of(api.client).state.platform.engine.connect() as conn:
        query = text("SELECT ticket_id FROM photos WHERE id = :id")
        return conn.execute(query, {"id": photo_id}).scalar_one_or_none()


def test_an_upload_is_stored_without_its_metadata_and_served_by_id(api: IntakeApi) -> None:
    response = _upload(_citizen(api), _photo("PNG"), name="evil.html", kind="text/html")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"].startswith("ph_") and body["url"] == f"/media/{body['id']}"
    assert body["thumbnail_url"] == f"/media/{body['id']}/thumbnail"
    assert (body["content_type"], body["width"], body["height"]) == ("image/jpeg", 640, 480)
    served = api.client.get(body["url"])
    assert served.status_code == 200 and len(served.content) == body["bytes"]
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "max-age=31536000" in served.headers["cache-control"]
    image = Image.open(BytesIO(served.content))
    assert dict(image.getexif()) == {} and image.getexif().get_ifd(GPS_IFD) == {}
    thumbnail = api.client.get(body["thumbnail_url"])
    assert thumbnail.headers["content-type"] == "image/jpeg"
    assert max(Image.open(BytesIO(thumbnail.content)).size) <= 320


def test_an_unknown_photo_is_a_404_problem(api: IntakeApi) -> None:
    for path in ("/media/ph_nothing", "/media/ph_nothing/thumbnail"):
        response = api.client.get(path, headers={"Accept-Language": "en"})
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == "Photo ph_nothing not found"


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (b"\xff\xd8\xff" + b"\0" * (5 * 1024 * 1024), 413, "intake.photo_too_large"),
        (b"\xff\xd8\xff" + b"\0" * (7 * 1024 * 1024), 413, "intake.photo_too_large"),
        (b"GIF89a" + b"\0" * 100, 422, "intake.photo_unsupported_type"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", 422, "intake.photo_unsupported_type"),
        (_photo()[:300], 422, "intake.photo_unreadable"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_stored(
    api: IntakeApi, data: bytes, status: int, code: str
) -> None:
    before = count(api.client, "photos")
    response = _upload(_citizen(api), data, headers={"Accept-Language": "en"})
    assert response.status_code == status
    assert response.json()["type"].endswith(f"/{code}")
    assert response.json()["detail"]
    assert count(api.client, "photos") == before


def test_uploads_are_throttled_per_client_address(api: IntakeApi) -> None:
    citizen = _citizen(api)
    answers = [_upload(citizen, _photo(size=(32, 32))).status_code for _ in range(FREE_UPLOADS)]
    refused = _upload(citizen, _photo(size=(32, 32)))
    assert answers == [201] * FREE_UPLOADS
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert _upload(_citizen(api), _photo(size=(32, 32))).status_code == 201


def test_a_forged_forwarded_for_does_not_dodge_the_throttle(api: IntakeApi) -> None:
    citizen = _citizen(api)  # no proxy is trusted: the header is the client's own word
    answers = [
        _upload(citizen, _photo(size=(32, 32)), headers={"X-Forwarded-For": f"203.0.113.{n}"})
        for n in range(FREE_UPLOADS + 1)
    ]
    assert [a.status_code for a in answers] == [201] * FREE_UPLOADS + [429]


def test_a_sibling_services_page_may_read_the_answer(api: IntakeApi) -> None:
    citizen = _citizen(api)
    workbench = {"Origin": "http://testserver:8002"}
    allowed = _upload(citizen, _photo(size=(32, 32)), headers=workbench)
    assert allowed.headers["access-control-allow-origin"] == "http://testserver:8002"
    stranger = _upload(citizen, _photo(size=(32, 32)), headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in stranger.headers


def test_a_call_takes_its_photos_in_its_event(api: IntakeApi) -> None:
    ids = [_uploaded(api) for _ in range(3)]
    response = api.call(photos=ids, caller_phone="13700000001")
    assert response.status_code == 201, response.text
    ticket_id = response.json()["id"]
    created = [p for kind, p in outbox(api.client, ticket_id) if kind == "TicketCreated"]
    assert created[0]["photos"] == ids
    assert [_holder(api, i) for i in ids] == [ticket_id] * 3


@pytest.mark.parametrize("problem", ["unknown", "attached", "four", "twice", "duplicate"])
def test_a_call_with_a_bad_photo_stores_nothing(api: IntakeApi, problem: str) -> None:
    good = _uploaded(api)
    other = api.call().json()["id"]
    taken = _uploaded(api)
    assert api.call(photos=[taken]).status_code == 201
    photos, extra = {
        "unknown": ([good, "ph_unknown"], {}),
        "attached": ([good, taken], {}),
        "four": ([good, *(_uploaded(api) for _ in range(3))], {}),
        "twice": ([good, good], {}),
        "duplicate": ([good], {"duplicate_of": other}),
    }[problem]
    before = (count(api.client, "tickets"), count(api.client, "calls"), count(api.client, "outbox"))
    response = api.call(lang="en", photos=photos, **extra)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].startswith("photos")
    after = (count(api.client, "tickets"), count(api.client, "calls"), count(api.client, "outbox"))
    assert after == before
    assert _holder(api, good) is None  # still free for the next report


def test_field_photos_are_kept_with_the_ticket(api: IntakeApi) -> None:
    ticket_id = api.call().json()["id"]
    field = [_uploaded(api), _uploaded(api)]
    event = CitizenContacted(
        assignment_id="a1",
        department_code="D-JXS",
        note="已联系市民",
        by="chaoyang-jxs",
        at=datetime.now(UTC),
        photos=[*field, "ph_purged_meanwhile"],
    )
    publish(api.client, event, ticket_id, "dispatch")
    drain(app_of(api.client))
    assert [_holder(api, i) for i in field] == [ticket_id, ticket_id]
    assert api.get(f"/api/v1/tickets/{ticket_id}").json()["status"] == "in_progress"


def test_photos_nobody_sent_are_purged_after_a_day(api: IntakeApi) -> None:
    stale, fresh, sent = _uploaded(api), _uploaded(api), _uploaded(api)
    assert api.call(photos=[sent]).status_code == 201
    engine = app_of(api.client).state.platform.engine
    day_ago = text(
        "UPDATE photos SET created_at = created_at - interval '25 hours' WHERE id = :a OR id = :b"
    )
    with engine.begin() as conn:
        conn.execute(day_ago, {"a": stale, "b": sent})
    purge = next(w for w in app_of(api.client).state.platform.workers if "photo" in w.name)
    while purge.step():
        pass
    assert api.client.get(f"/media/{stale}").status_code == 404
    assert api.client.get(f"/media/{fresh}").status_code == 200
    assert api.client.get(f"/media/{sent}").status_code == 200


def test_a_caller_above_the_days_threshold_is_flagged_never_refused(api: IntakeApi) -> None:
    phone = "13700000777"
    answers = [api.call(caller_phone=phone, description=f"路灯不亮 {n}") for n in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert [a.json()["frequent_caller"] for a in answers] == [False, False, True]
    ticket_id = answers[2].json()["id"]
    created = [p for kind, p in outbox(api.client, ticket_id) if kind == "TicketCreated"]
    assert created[0]["frequent_caller"] is True
    assert api.get(f"/api/v1/tickets/{ticket_id}").json()["frequent_caller"] is True
    anonymous = [api.call(caller_phone=None).json()["frequent_caller"] for _ in range(3)]
    assert anonymous == [False, False, False]


def test_the_photo_tables_match_their_migrations(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'intake.db'}"
    upgrade("intake", url)
    engine = make_engine(url)
    with engine.connect() as conn:
        found = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    mine = ("photos", "frequent_caller", "ix_calls_caller_key_taken_at")
    assert [d for d in found if any(name in repr(d) for name in mine)] == []
