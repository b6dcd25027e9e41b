"""Hostile input on every public intake route, on PostgreSQL (which refuses NUL in text,
where SQLite would quietly keep it): wrong types, huge strings, NUL and control characters,
bad UTF-8, broken multipart bodies, files that are not the photo they claim, duplicated form
fields, impossible positions, markup in Open311's fields. Each gets a clear 4xx, or is taken
cleaned; never a 500, never a record written half-way. (The OpenAPI-described routes are
also fuzzed by tests/integration/test_api_fuzz_*.py; Open311 is outside that document.)"""

from __future__ import annotations

import io
import itertools
import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import text

from services.common.settings import Settings
from services.intake.bootstrap import build
from services.intake.config import IntakeSettings
from tests.support import peers
from tests.support.harness import driven
from tests.support.intake import IntakeApi, app_of

pytestmark = pytest.mark.peers

PROBLEM = "application/problem+json"
HUGE = "长" * 20_000
_addresses = (
    f"192.0.2.{n % 250}" if n < 250 else f"198.51.{n // 250}.{n % 250}" for n in itertools.count(1)
)
_phones = (f"1390000{n:04d}" for n in itertools.count(1))


@pytest.fixture(scope="module")
def api(postgres: peers.Peer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[IntakeApi]:
    name = f"intake_{uuid.uuid4().hex[:8]}"
    peers.create_databases(postgres, (name,))
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("intake-hostile"),
        database_url=postgres.url.replace("{db}", name),
    )
    options = IntakeSettings(open311_posts_per_minute=10_000, photo_uploads_free=10_000)
    with TestClient(driven(build(settings, options)), raise_server_exceptions=False) as client:
        yield IntakeApi(client)


@pytest.fixture(scope="module")
def app_key(api: IntakeApi) -> str:
    registered = api.send("POST", "/api/v1/open311/clients", json={"name": "hostile test"})
    assert registered.status_code == 201, registered.text
    return str(registered.json()["api_key"])


def _citizen(api: IntakeApi) -> TestClient:
    """A client of its own address: the public limits count each test's requests apart."""
    return TestClient(
        app_of(api.client), client=(next(_addresses), 5000), raise_server_exceptions=False
    )


def _count(api: IntakeApi, table: str) -> int:
    with app_of(api.client).state.platform.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def _refused(answer: httpx.Response, *statuses: int) -> None:
    assert answer.status_code in statuses, (answer.status_code, answer.text[:300])
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["detail"]


def _proof(api: IntakeApi, web: TestClient, phone: str) -> str:
    sent = web.post("/api/v1/public/codes", json={"phone": phone})
    assert sent.status_code == 202, sent.text
    code_id = sent.json()["id"]
    query = text("SELECT text FROM sms_messages WHERE request_id = :r")
    with app_of(api.client).state.platform.engine.connect() as conn:
        texted = conn.execute(query, {"r": f"code:{code_id}"}).scalar_one()
    code = re.search(r"验证码是(\d{6})", texted)
    assert code
    checked = web.post(f"/api/v1/public/codes/{code_id}/verify", json={"code": code.group(1)})
    assert checked.status_code == 200, checked.text
    return str(checked.json()["proof"])


# --- the portal's reads and codes ------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/public/categories?q=%00",
        "/api/v1/public/categories?q=%FF%FE%00",
        "/api/v1/public/categories?q=%ED%A0%80",  # a lone surrogate, UTF-8 encoded
        "/api/v1/public/categories?limit=NaN",
        "/api/v1/public/categories?limit=-1",
        "/api/v1/public/places?q=%C3%28",
        "/api/v1/public/places?q=" + "x" * 5000,
        "/api/v1/public/places/near?lat=NaN&lon=NaN",
        "/api/v1/public/places/near?lat=inf&lon=1",
        "/api/v1/public/places/near?lat=-91&lon=0",
        "/api/v1/public/places/near?lat=1e400&lon=1",
        "/api/v1/public/places/near?lat=39.9",
        "/api/v1/public/track/%00%00%00%00%00%00%00%00%00%00%00",
        "/api/v1/public/track/%FF%FF%FF%FF%FF%FF%FF%FF%FF%FF",
        "/api/v1/public/track/" + "x" * 121,
        "/api/v1/public/track/a.b.c.d.e.f.g.h",
        "/media/%00%00%00%00%00",
        "/media/ph_%FF%FF%FF%FF/thumbnail",
        "/media/" + "x" * 41,
    ],
)
def test_hostile_reads_are_refused_clearly(api: IntakeApi, path: str) -> None:
    answer = _citizen(api).get(path)
    if answer.status_code == 200:  # a search for garbage finds nothing
        assert answer.json() == []
    else:
        _refused(answer, 404, 422)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/public/codes", {"phone": 13900000000}),
        ("/api/v1/public/codes", {"phone": None}),
        ("/api/v1/public/codes", {"phone": ["13900000000"]}),
        ("/api/v1/public/codes", {"phone": "\x00" * 11}),
        ("/api/v1/public/codes", {"phone": "1390000\x000000"}),
        ("/api/v1/public/codes", {"phone": HUGE}),
        ("/api/v1/public/codes", {"phone": "13900000000", "extra": 1}),
        ("/api/v1/public/codes", []),
        ("/api/v1/public/lookups", {"number": "\x00" * 11}),
        ("/api/v1/public/lookups", {"number": 26010100001}),
        ("/api/v1/public/lookups", {"number": "２６０１０１０００１１"}),  # full-width digits
        ("/api/v1/public/codes/%00/verify", {"code": "123456"}),
        ("/api/v1/public/codes/%FF%FE/verify", {"code": "123456"}),
        ("/api/v1/public/codes/abc/verify", {"code": "１２３４５６"}),
        ("/api/v1/public/codes/abc/verify", {"code": 123456}),
    ],
)
def test_hostile_code_requests_are_refused_and_send_nothing(
    api: IntakeApi, path: str, body: Any
) -> None:
    texts = _count(api, "sms_messages")
    _refused(_citizen(api).post(path, json=body), 410, 422)
    assert _count(api, "sms_messages") == texts


@pytest.mark.parametrize(
    "raw",
    [
        b'{"phone":"\xff\xfe"}',  # not UTF-8
        b'{"phone":"139',  # cut short
        b"[" * 100_000,  # nested beyond reason
        b'{"phone":"\\ud800"}',  # a lone surrogate
    ],
)
def test_bodies_that_are_not_json_are_refused(api: IntakeApi, raw: bytes) -> None:
    answer = _citizen(api).post(
        "/api/v1/public/codes", content=raw, headers={"content-type": "application/json"}
    )
    _refused(answer, 400, 422)


# --- reports -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"description": "\x01\x02\x03"},
        {"description": HUGE},
        {"description": 5},
        {"category_code": "\x00"},
        {"category_code": "<x/>"},
        {"area_code": "\x00"},
        {"address": 5},
        {"photos": [1, 2]},
        {"photos": ["\x00"]},
        {"photos": ["ph_nosuchphoto"]},
        {"photos": ["ph_a"] * 4},
        {"hide_number": "yes"},
        {"request_type": "<complaint/>"},
        {"proof": "\x00"},
        {"phone": "1390000\x000000"},
    ],
    ids=str,
)
def test_a_hostile_report_is_refused_and_leaves_nothing(
    api: IntakeApi, change: dict[str, Any]
) -> None:
    web, phone = _citizen(api), next(_phones)
    proof = _proof(api, web, phone)
    body = {"phone": phone, "proof": proof, "description": "路灯不亮", **change}
    tickets, events = _count(api, "tickets"), _count(api, "outbox")
    _refused(web.post("/api/v1/public/reports", json=body), 404, 409, 422)
    assert (_count(api, "tickets"), _count(api, "outbox")) == (tickets, events)
    # The proof was given back: the citizen corrects the form and sends it again.
    fixed = {"phone": phone, "proof": proof, "description": "路灯不亮"}
    assert web.post("/api/v1/public/reports", json=fixed).status_code == 201


def test_nul_and_markup_in_a_report_are_taken_cleaned(api: IntakeApi) -> None:
    web, phone = _citizen(api), next(_phones)
    said = "路灯\x00不亮\x07 <script>alert(1)</script> ]]> &amp;"
    proof = _proof(api, web, phone)
    body = {"phone": phone, "proof": proof, "description": said, "address": "\x00\u202e"}
    made = web.post("/api/v1/public/reports", json=body)
    assert made.status_code == 201, made.text
    assert made.json()["under_review"], "an address of control characters is no address"
    query = text("SELECT description, address FROM tickets WHERE number = :n")
    with app_of(api.client).state.platform.engine.connect() as conn:
        stored, address = conn.execute(query, {"n": made.json()["ticket_number"]}).one()
    assert "\x00" not in stored and "\x07" not in stored and not address
    assert (
        stored.startswith("路灯不亮") and "<script>" in stored
    )  # kept as text, escaped on display


# --- photos --------------------------------------------------------------------------------


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(out, "JPEG")
    return out.getvalue()


JPEG = _jpeg()


@pytest.mark.parametrize(
    ("files", "status"),
    [
        ({"file": ("a.jpg", b"", "image/jpeg")}, 422),
        ({"file": ("a.jpg", JPEG[: len(JPEG) // 2], "image/jpeg")}, 422),
        ({"file": ("a.jpg", JPEG[:20], "image/jpeg")}, 422),
        ({"file": ("a.gif", b"GIF89a" + bytes(50), "image/gif")}, 422),
        ({"file": ("a.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml")}, 422),
        ({"file": ("a.html", b"<html><script>alert(1)</script>", "image/jpeg")}, 422),
        ({"photo": ("a.jpg", JPEG, "image/jpeg")}, 422),
    ],
    ids=["empty", "truncated", "header-only", "gif", "svg", "html", "wrong-field"],
)
def test_files_that_are_no_photo_are_refused_and_not_kept(
    api: IntakeApi, files: dict[str, Any], status: int
) -> None:
    kept = _count(api, "photos")
    _refused(_citizen(api).post("/api/v1/photos", files=files), status)
    assert _count(api, "photos") == kept


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"--x\r\n", "multipart/form-data"),  # no boundary
        (b"garbage", "multipart/form-data; boundary=abc"),
        (
            b'--abc\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
            b"Content-Type: image/jpeg\r\n\r\n" + JPEG[:100],  # never closed
            "multipart/form-data; boundary=abc",
        ),
        (JPEG, "image/jpeg"),  # not multipart at all
        (b'{"file": "x"}', "application/json"),
    ],
    ids=["no-boundary", "garbage", "unterminated", "raw-jpeg", "json"],
)
def test_broken_multipart_bodies_are_refused(
    api: IntakeApi, content: bytes, content_type: str
) -> None:
    kept = _count(api, "photos")
    answer = _citizen(api).post(
        "/api/v1/photos", content=content, headers={"content-type": content_type}
    )
    _refused(answer, 400, 422)
    assert _count(api, "photos") == kept


@pytest.mark.parametrize(
    "tail",
    [b"<html><script>alert(1)</script></html>", b"PK\x03\x04" + bytes(100)],
    ids=["jpeg+html", "jpeg+zip"],
)
def test_a_polyglot_is_kept_only_as_the_photo_it_shows(api: IntakeApi, tail: bytes) -> None:
    web = _citizen(api)
    stored = web.post("/api/v1/photos", files={"file": ("a.html", JPEG + tail, "text/html")})
    assert stored.status_code == 201, stored.text
    served = web.get(stored.json()["url"])
    assert served.headers["content-type"] == "image/jpeg"
    assert served.content.startswith(b"\xff\xd8") and tail[:4] not in served.content


def test_a_duplicated_file_field_stores_one_photo(api: IntakeApi) -> None:
    kept = _count(api, "photos")
    files = [("file", ("a.jpg", JPEG, "image/jpeg")), ("file", ("b.jpg", JPEG, "image/jpeg"))]
    assert _citizen(api).post("/api/v1/photos", files=files).status_code == 201
    assert _count(api, "photos") == kept + 1


# --- Open311 (outside the OpenAPI document, so by hand) -------------------------------------


def _post311(api: IntakeApi, fmt: str, content: bytes | None = None, **form: Any) -> httpx.Response:
    web = _citizen(api)
    if content is not None:
        kind = {"content-type": "application/x-www-form-urlencoded"}
        return web.post(f"/open311/v2/requests.{fmt}", content=content, headers=kind)
    return web.post(f"/open311/v2/requests.{fmt}", data=form)


def _spec_error(answer: httpx.Response, fmt: str, *statuses: int) -> None:
    assert answer.status_code in statuses, (answer.status_code, answer.text[:300])
    if fmt == "json":
        assert answer.json()[0]["code"] == answer.status_code
    else:
        assert f"<code>{answer.status_code}</code>" in answer.text


POINT = {"service_code": "990101", "lat": "39.9", "long": "116.4", "description": "路灯不亮"}


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    "change",
    [
        {"lat": "NaN", "long": "NaN"},
        {"lat": "inf", "long": "-inf"},
        {"lat": "-91", "long": "200"},
        {"lat": "1e400", "long": "1"},
        {"lat": "abc"},
        {"long": ""},
        {"service_code": "\x00"},
        {"service_code": "9" * 10_000},
        {"service_code": "<x/>"},
        {"media_url": "javascript:alert(1)"},
        {"media_url": "http://x/ y"},
        {"description": "x" * 5000},
        {"address_id": "\x00", "lat": "", "long": ""},
    ],
    ids=str,
)
def test_open311_refuses_hostile_posts_in_its_error_form(
    api: IntakeApi, app_key: str, change: dict[str, str], fmt: str
) -> None:
    tickets = _count(api, "tickets")
    answer = _post311(api, fmt, api_key=app_key, **{**POINT, **change})
    _spec_error(answer, fmt, 400, 404)
    assert _count(api, "tickets") == tickets


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    "change",
    [
        {"description": "路灯\x00不亮\x0b<![CDATA[x]]></description><x>&amp;&#0;"},
        {"address_string": "<a>&</a>\x00朝阳路", "lat": "", "long": ""},
        {"email": "<x>@\x00"},
        {"first_name": "\x00" * 10, "last_name": "<x/>"},
        {"device_id": "\x00", "account_id": "\x00"},
        {"phone": "\x00\x01"},  # no number: taken, and the answer says it was not kept
        {"media_url": "http://x/\x00"},
        {"attribute[x]": "\x00", "attribute[y][]": "<z/>"},
    ],
    ids=str,
)
def test_open311_takes_markup_and_control_characters_as_plain_clean_text(
    api: IntakeApi, app_key: str, change: dict[str, str], fmt: str
) -> None:
    answer = _post311(api, fmt, api_key=app_key, **{**POINT, **change})
    assert answer.status_code == 200, answer.text[:300]
    number = (
        answer.json()[0]["service_request_id"]
        if fmt == "json"
        else re.search(r"<service_request_id>(\d+)<", answer.text).group(1)  # type: ignore[union-attr]
    )
    listed = _citizen(api).get(f"/open311/v2/requests/{number}.{fmt}")
    assert listed.status_code == 200
    if fmt == "xml":
        assert "<x>" not in listed.text and "<a>" not in listed.text  # escaped, not markup
    else:
        assert "\x00" not in json.dumps(listed.json(), ensure_ascii=False)


@pytest.mark.parametrize(
    "raw",
    [
        b"service_code=990101&service_code=X&description=a&description=b&lat=1&lat=39.9&long=116.4",
        b"service_code=990101&description=%FF%FE&lat=39.9&long=116.4",
        b"service_code=990101&description=\xff\xfe&lat=39.9&long=116.4",
        b"service_code=990101&lat=39.9&long=116.4&attribute%5B%00%5D=1",
    ],
    ids=["duplicated", "bad-utf8-escaped", "bad-utf8-raw", "nul-attribute"],
)
def test_open311_odd_form_bodies(api: IntakeApi, app_key: str, raw: bytes) -> None:
    answer = _post311(api, "json", content=b"api_key=" + app_key.encode() + b"&" + raw)
    assert answer.status_code in (200, 400, 404), answer.text[:300]


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"x", "multipart/form-data"),
        (b"<?xml version='1.0'?><x/>", "application/xml"),
        (json.dumps(POINT).encode(), "application/json"),
        (b"\x00" * 100, "application/x-www-form-urlencoded"),
    ],
    ids=["no-boundary", "xml", "json", "nul"],
)
def test_open311_bodies_that_are_no_form_are_refused(
    api: IntakeApi, content: bytes, content_type: str
) -> None:
    answer = _citizen(api).post(
        "/open311/v2/requests.json", content=content, headers={"content-type": content_type}
    )
    _spec_error(answer, "json", 400, 403)


@pytest.mark.parametrize(
    "path",
    [
        "/open311/v2/requests.json?service_request_id=%00",
        "/open311/v2/requests.xml?service_code=%00",
        "/open311/v2/requests.json?status=%FF",
        "/open311/v2/requests.json?start_date=NaN",
        "/open311/v2/requests.json?start_date=9999-99-99",
        "/open311/v2/requests.xml?jurisdiction_id=%00",
        "/open311/v2/requests/%00.xml",
        "/open311/v2/requests/%FF.json",
        "/open311/v2/services/%00.json",
        "/open311/v2/services/%3Cx%3E.xml",
        "/open311/v2/requests.%00",
    ],
)
def test_open311_hostile_reads(api: IntakeApi, path: str) -> None:
    answer = _citizen(api).get(path)
    assert answer.status_code in (200, 400, 404), answer.text[:300]
    assert "\x00" not in answer.text
