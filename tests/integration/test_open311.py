"""Open311 GeoReport v2 against a real running intake (its own process, on PostgreSQL):
every JSON answer checked against the schemas written from the specification
(tests/contract/open311/), every XML answer parsed and checked for the same shape, the
specification's error form in both formats, no personal data in any GET, and the
third-party `georeport` client reading services and requests as a city app would."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, fromstring

import httpx
import jsonschema_rs
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from georeport import GeoReport
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import MetaData, inspect

from proto.assignments import AssignmentDispatched, AssignmentResolved
from proto.envelope import Envelope, Event
from proto.feedback import TicketClosed
from proto.registry import encode
from services.common.bus import Message
from services.common.bus.factory import make_bus
from services.common.db import make_engine
from services.common.migrations import upgrade
from services.common.settings import Settings
from services.intake.adapters.orm import metadata
from tests.support import peers
from tests.support.harness import PASSWORDS, Cluster, call_body, eventually

pytestmark = pytest.mark.peers

SCHEMAS = Path(__file__).resolve().parents[1] / "contract" / "open311"
JURISDICTION = "12345.example.gov.cn"
POSTS_PER_MINUTE = 25
PHONE, EMAIL = "13812345678", "li.ming@example.cn"


def _schema(name: str) -> Any:
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    return jsonschema_rs.validator_for(schema, validate_formats=True)


class Open311:
    """The running intake seen by a city app (no sign-in) and by its admin."""

    def __init__(self, cluster: Cluster, data_dir: Path):
        self.cluster = cluster
        self.data_dir = data_dir
        self.root = cluster.url("intake") + "/open311/v2"
        self.http = httpx.Client(base_url=self.root, timeout=10)
        self.admin = cluster.client("intake", "admin")
        self.key = self.register(f"城市通-{uuid.uuid4().hex[:6]}")["api_key"]

    def register(self, name: str) -> dict[str, Any]:
        response = self.admin.post("/api/v1/open311/clients", json={"name": name})
        assert response.status_code == 201, response.text
        return dict(response.json())

    def post(self, fmt: str = "json", key: str | None = None, **fields: str) -> httpx.Response:
        form = {"api_key": self.key if key is None else key, "jurisdiction_id": JURISDICTION}
        return self.http.post(f"/requests.{fmt}", data=form | fields)

    def report(self, **fields: str) -> str:
        base = {"service_code": "010102", "address_id": "110105001001", "description": "垃圾满溢"}
        response = self.post(**(base | fields))
        assert response.status_code == 200, response.text
        return str(response.json()[0]["service_request_id"])

    def get(self, path: str, **params: str) -> httpx.Response:
        return self.http.get(path, params=params)

    def publish(self, event: Event, ticket_id: str, producer: str) -> None:
        envelope = Envelope.wrap(event, producer=producer, ticket_id=ticket_id)
        bus = make_bus(Settings(data_dir=self.data_dir))
        message = Message(event.TOPIC, ticket_id, encode(envelope), {"type": envelope.type})
        bus.publisher().publish([message])


@pytest.fixture(scope="module")
def api(postgres: peers.Peer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Open311]:
    name = f"intake_{uuid.uuid4().hex[:8]}"
    peers.create_databases(postgres, (name,))
    data_dir = tmp_path_factory.mktemp("open311")
    env = {
        "HOTLINE_DATA_DIR": str(data_dir),
        "HOTLINE_DATABASE_URL": postgres.url.replace("{db}", name),
        "HOTLINE_OPEN311_POSTS_PER_MINUTE": str(POSTS_PER_MINUTE),
        # Every test here calls from one address: only the per-key limit is under test.
        "HOTLINE_OPEN311_REQUESTS_PER_MINUTE": "100000",
    }
    cluster = Cluster(env, data_dir)
    cluster.start("intake")
    try:
        yield Open311(cluster, data_dir)
    finally:
        cluster.stop()


# --- XML read back into the JSON shape -------------------------------------------------


def _value(element: Element) -> Any:
    if element.tag in _LISTS:
        return [_value(child) for child in element]
    if len(element):
        return {child.tag: _value(child) for child in element}
    return element.text


_LISTS = {"endpoints", "formats", "attributes", "values"}


def _xml(response: httpx.Response, root: str) -> Any:
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    element = fromstring(response.content)
    assert element.tag == root
    if root in ("services", "service_requests", "errors"):
        return [_value(child) for child in element]
    return _value(element)


def _as_text(value: Any) -> Any:
    """JSON's values as XML carries them: text, booleans as true/false, null as empty."""
    if isinstance(value, dict):
        return {k: _as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_text(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return None if value in (None, "") else str(value)


def _both(api: Open311, path: str, root: str, schema: str, **params: str) -> Any:
    """The JSON answer, valid by its schema; the XML answer says the same."""
    as_json = api.get(f"{path}.json", **params)
    assert as_json.headers["content-type"] == "application/json; charset=utf-8"
    body = as_json.json()
    _schema(schema).validate(body)
    assert _xml(api.get(f"{path}.xml", **params), root) == _as_text(body)
    return body


def _refused(response: httpx.Response, status: int, fmt: str = "json") -> str:
    assert response.status_code == status, response.text
    if fmt == "xml":
        errors = _xml(response, "errors")
    else:
        errors = response.json()
        _schema("errors").validate(errors)
    assert [e["code"] for e in errors] == [str(status) if fmt == "xml" else status]
    return str(errors[0]["description"])


# --- the tests ---------------------------------------------------------------------------


def test_discovery_points_at_the_endpoint(api: Open311) -> None:
    body = _both(api, "/discovery", "discovery", "discovery")
    assert body["endpoints"][0]["url"] == api.root
    assert body["changeset"] and body["endpoints"][0]["changeset"] == body["changeset"]


def test_services_are_the_catalogue_leaves(api: Open311) -> None:
    services = {s["service_code"]: s for s in _both(api, "/services", "services", "services")}
    noise = services["010101"]
    assert (noise["service_name"], noise["group"], noise["metadata"]) == (
        "噪音扰民",
        "城乡建设",
        True,
    )
    assert "广场舞" in noise["keywords"].split(",") and noise["type"] == "realtime"
    assert services["010102"]["metadata"] is False


def test_a_service_definition_lists_its_attributes(api: Open311) -> None:
    body = _both(api, "/services/010101", "service_definition", "service_definition")
    (attribute,) = body["attributes"]
    assert attribute["code"] == "noise_period" and attribute["required"] is True
    assert [v["key"] for v in attribute["values"]] == ["day", "night"]
    for fmt in ("json", "xml"):
        assert "999999" in _refused(api.get(f"/services/999999.{fmt}"), 404, fmt)
    # A service whose metadata is false exists: its definition has no attributes.
    plain = _both(api, "/services/010102", "service_definition", "service_definition")
    assert plain == {"service_code": "010102", "attributes": []}


def test_a_posted_request_is_a_ticket_from_the_app(api: Open311) -> None:
    fields = {
        "service_code": "010101",
        "lat": "39.9087",
        "long": "116.4540",
        "address_string": "建国门外大街1号",
        "attribute[noise_period]": "night",
        "description": "工地夜间施工",
        "phone": "13912345678",
        "email": EMAIL,
        "media_url": "https://app.example.cn/p/1.jpg",
        "first_name": "明",
    }
    posted = api.post(**fields)
    assert posted.status_code == 200, posted.text
    _schema("posted").validate(posted.json())
    number = posted.json()[0]["service_request_id"]
    (seen,) = _both(api, f"/requests/{number}", "service_requests", "requests")
    assert (seen["status"], seen["service_code"], seen["service_name"]) == (
        "open",
        "010101",
        "噪音扰民",
    )
    assert seen["description"] == "工地夜间施工\n噪音时段：夜间（22:00–6:00）"
    assert (seen["lat"], seen["long"], seen["address"]) == (39.9087, 116.454, "建国门外大街1号")
    assert seen["media_url"] == "https://app.example.cn/p/1.jpg"
    tickets = api.cluster.client("intake", "dispatcher").get(
        "/api/v1/tickets", params={"mine": False, "limit": 200}
    )
    (ticket,) = [t for t in tickets.json() if t["number"] == number]
    assert ticket["channel"] == "app" and ticket["created_by"].startswith("app:城市通")
    assert ticket["caller_masked"] == "139****5678"  # the phone went to the caller record


def test_an_xml_post_answers_in_xml(api: Open311) -> None:
    base = {"service_code": "010102", "address_id": "110105001001"}
    posted = api.post("xml", **base)
    assert posted.status_code == 200
    (answer,) = _xml(posted, "service_requests")
    assert answer["service_request_id"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_posts_are_refused_in_the_spec_form_and_store_nothing(api: Open311, fmt: str) -> None:
    before = len(api.get("/requests.json").json())
    key = api.register(f"校验-{fmt}-{uuid.uuid4().hex[:6]}")["api_key"]
    located = {"address_id": "110105001001"}
    assert "lat" in _refused(api.post(fmt, key, service_code="010102"), 400, fmt)
    assert "999999" in _refused(api.post(fmt, key, service_code="999999", **located), 404, fmt)
    _refused(api.post(fmt, key, service_code="010101", **located), 400, fmt)  # no attribute
    _refused(api.post(fmt, key, service_code="010102", address_id="999"), 400, fmt)
    _refused(api.post(fmt, key="o311_wrong", service_code="010102", **located), 403, fmt)
    _refused(api.post(fmt, key="", service_code="010102", **located), 403, fmt)
    wrong_place = api.http.post(f"/requests.{fmt}", data={"jurisdiction_id": "elsewhere.gov"})
    _refused(wrong_place, 404, fmt)
    assert len(api.get("/requests.json").json()) == before


def test_the_specifications_example_post_is_taken(api: Open311) -> None:
    """Its optional fields as the specification's example sends them: a phone that is no
    Chinese number and attributes the service does not define are not kept, and the
    answer's service_notice says so; the request is still a ticket."""
    example = {
        "service_code": "010102",
        "lat": "37.76524078",
        "long": "-122.4212043",
        "address_string": "1234 5th street",
        "email": "smit333@sfgov.edu",
        "device_id": "tt222111",
        "account_id": "123456",
        "first_name": "john",
        "last_name": "smith",
        "phone": "111111111",
        "description": "A large sinkhole is destroying the street",
        "media_url": "http://farm3.static.flickr.com/2002/2212426634_5ed477a060.jpg",
        "attribute[WHISPAWN]": "123456",
        "attribute[WHISDORN]": "COISL001",
    }
    posted = api.http.post(
        "/requests.json", data={"api_key": api.key} | example, headers={"Accept-Language": "en"}
    )
    assert posted.status_code == 200, posted.text
    _schema("posted").validate(posted.json())
    (answer,) = posted.json()
    assert "phone" in answer["service_notice"] and "attribute[WHISDORN]" in answer["service_notice"]
    (seen,) = api.get(f"/requests/{answer['service_request_id']}.json").json()
    assert seen["description"].startswith("A large sinkhole") and "111111111" not in str(seen)
    quiet = api.post(service_code="010102", address_id="110105001001")
    assert quiet.json()[0]["service_notice"] is None


def test_errors_speak_english_when_asked(api: Open311) -> None:
    response = api.http.post(
        "/requests.json",
        data={"api_key": api.key, "service_code": "010102"},
        headers={"Accept-Language": "en"},
    )
    assert _refused(response, 400).startswith("A location is required")


def test_an_unknown_format_or_path_is_a_spec_error(api: Open311) -> None:
    _refused(api.get("/services.csv"), 400)
    _refused(api.get("/tokens/abc.json"), 404)
    _refused(api.get("/requests/nope.xml"), 404, "xml")
    _refused(api.get("/nothing.xml"), 404, "xml")
    _refused(api.get("/services/010101/more.json"), 404)


def test_no_phone_number_or_email_in_any_answer(api: Open311) -> None:
    body = call_body(description=f"电话 {PHONE}，邮箱 {EMAIL}，夜里噪音", caller_phone=PHONE)
    logged = api.cluster.client("intake", "agent1").post("/api/v1/calls", json=body)
    assert logged.status_code == 201, logged.text
    number = logged.json()["number"]
    for path in ("/requests", f"/requests/{number}"):
        for fmt in ("json", "xml"):
            text = api.get(f"{path}.{fmt}").text
            assert number in text
            for secret in (PHONE, "138****5678", EMAIL, "caller"):
                assert secret not in text


def test_the_departments_reply_closes_the_request(api: Open311) -> None:
    number = api.report(description="路边垃圾")
    ticket_id = _ticket_id(api, number)
    now = datetime.now(UTC)
    due = now + timedelta(days=7)
    closing = TicketClosed(reason="satisfied", at=now + timedelta(seconds=2))
    api.publish(_dispatched(now, due), ticket_id, "dispatch")
    eventually(lambda: api.get(f"/requests/{number}.json").json()[0]["agency_responsible"])
    # The closing may be read before the reply (another topic): the reply is kept anyway.
    api.publish(closing, ticket_id, "feedback")
    api.publish(_resolved(now + timedelta(seconds=1)), ticket_id, "dispatch")

    def closed() -> dict[str, Any] | None:
        (seen,) = api.get(f"/requests/{number}.json").json()
        return seen if seen["status"] == "closed" and seen["status_notes"] else None

    seen = eventually(closed, timeout=20)
    _schema("requests").validate([seen])
    assert seen["agency_responsible"] == "朝阳区建外街道办事处"
    assert seen["status_notes"] == "已清运，联系电话 ***"
    assert datetime.fromisoformat(seen["expected_datetime"]) == due.replace(microsecond=0)
    assert datetime.fromisoformat(seen["updated_datetime"]) == closing.at.replace(microsecond=0)
    closed_only = _both(api, "/requests", "service_requests", "requests", status="closed")
    assert number in [r["service_request_id"] for r in closed_only]
    opened = api.get("/requests.json", status="open").json()
    assert number not in [r["service_request_id"] for r in opened]


def _ticket_id(api: Open311, number: str) -> str:
    tickets = api.cluster.client("intake", "dispatcher").get(
        "/api/v1/tickets", params={"mine": False, "limit": 200}
    )
    return str(next(t["id"] for t in tickets.json() if t["number"] == number))


def _dispatched(at: datetime, due: datetime) -> AssignmentDispatched:
    return AssignmentDispatched(
        assignment_id="a1",
        department_code="D-JXS",
        department_name="朝阳区建外街道办事处",
        rule="test",
        dispatched_at=at,
        deadlines={"resolve": due},
    )


def _resolved(at: datetime) -> AssignmentResolved:
    return AssignmentResolved(
        assignment_id="a1",
        department_code="D-JXS",
        department_name="朝阳区建外街道办事处",
        outcome=f"已清运，联系电话 {PHONE}",
        by="chaoyang-jxs",
        at=at,
        dispatched_at=at,
    )


def test_the_filters_of_get_requests(api: Open311) -> None:
    first, second = api.report(), api.report(service_code="010105")
    both = _both(
        api, "/requests", "service_requests", "requests", service_request_id=f"{first},{second}"
    )
    assert sorted(r["service_request_id"] for r in both) == sorted([first, second])
    posters = api.get("/requests.json", service_code="010105").json()
    assert {r["service_code"] for r in posters} == {"010105"} and second in str(posters)
    old = {"start_date": "2020-01-01T00:00:00+08:00", "end_date": "2020-02-01T00:00:00+08:00"}
    assert api.get("/requests.json", **old).json() == []
    too_long = {"start_date": "2020-01-01T00:00:00Z", "end_date": "2020-06-01T00:00:00Z"}
    assert "90" in _refused(api.get("/requests.json", **too_long), 400)
    _refused(api.get("/requests.xml", status="pending"), 400, "xml")
    listed = api.get("/requests.json").json()
    stamps = [r["requested_datetime"] for r in listed]
    assert stamps == sorted(stamps, reverse=True)


def test_suffixes_repeated_parameters_and_dates_without_a_time(api: Open311) -> None:
    """Without a suffix the answer is XML (JSON for an app that accepts only JSON); a
    suffix in capitals still names the format; service_code and status may be declared
    more than once; a W3C date without a time is that whole day of the city's calendar."""
    number = api.report()
    assert _xml(api.get("/services"), "services")
    (one,) = _xml(api.get(f"/requests/{number}"), "service_requests")
    assert one["service_request_id"] == number
    as_json = {"Accept": "application/json"}
    _schema("services").validate(api.http.get("/services", headers=as_json).json())
    assert api.get("/services.JSON").headers["content-type"].startswith("application/json")
    form = {"api_key": api.key, "service_code": "010102", "address_id": "110105001001"}
    posted = api.http.post("/requests", data=form, headers=as_json)
    assert posted.status_code == 200, posted.text
    _schema("posted").validate(posted.json())
    repeated = [("service_code", "010102"), ("service_code", "010105")]
    repeated += [("status", "open"), ("status", "closed")]
    listed = api.http.get("/requests.json", params=repeated).json()
    assert number in [r["service_request_id"] for r in listed]
    assert {r["service_code"] for r in listed} <= {"010102", "010105"}
    day = one["requested_datetime"][:10]  # the Beijing date the request was made
    by_day = api.get("/requests.json", start_date=day, end_date=day).json()
    assert number in [r["service_request_id"] for r in by_day]
    before = api.get("/requests.json", end_date="2020-01-31").json()
    assert before == []


def test_posts_are_rate_limited_per_key(api: Open311) -> None:
    """Windows are whole minutes: twice the limit and one more cannot all fit, even when
    the burst straddles two windows."""
    key = api.register(f"限流-{uuid.uuid4().hex[:6]}")["api_key"]
    located = {"service_code": "010102", "address_id": "110105001001"}
    answers = [api.post(key=key, **located) for _ in range(2 * POSTS_PER_MINUTE + 1)]
    assert [a.status_code for a in answers[:POSTS_PER_MINUTE]] == [200] * POSTS_PER_MINUTE
    held = [a for a in answers if a.status_code == 429]
    assert held and {a.status_code for a in answers} == {200, 429}
    assert "秒后再试" in _refused(held[0], 429)
    assert api.post(**located).status_code == 200  # another app's key is not held back


def test_admins_register_list_and_revoke_apps(api: Open311) -> None:
    app = api.register(f"街道通-{uuid.uuid4().hex[:6]}")
    listed = api.admin.get("/api/v1/open311/clients").json()
    mine = next(c for c in listed if c["id"] == app["id"])
    assert "api_key" not in mine and mine["key_hint"] == app["key_hint"]
    assert app["api_key"] not in json.dumps(listed)
    assert api.admin.post("/api/v1/open311/clients", json={"name": app["name"]}).status_code == 422
    agent = api.cluster.client("intake", "agent1")
    assert agent.get("/api/v1/open311/clients").status_code == 403
    located = {"service_code": "010102", "address_id": "110105001001"}
    assert api.post(key=app["api_key"], **located).status_code == 200
    assert api.admin.delete(f"/api/v1/open311/clients/{app['id']}").status_code == 204
    assert api.admin.delete(f"/api/v1/open311/clients/{app['id']}").status_code == 404
    listed = api.admin.get("/api/v1/open311/clients").json()
    revoked = next(c for c in listed if c["id"] == app["id"])
    assert revoked["revoked_by"] == "admin" and revoked["revoked_at"]
    _refused(api.post(key=app["api_key"], **located), 403)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_georeport_client_reads_services_and_requests(api: Open311, fmt: str) -> None:
    number = api.report(description="georeport 读取")
    client = GeoReport(api.root, jurisdiction=JURISDICTION, output_format=fmt)
    services = client.get_service_list()
    assert "010101" in [s["service_code"] for s in services]
    definition = client.get_service_definition("010101")
    assert "noise_period" in json.dumps(definition, ensure_ascii=False)
    plain = client.get_service_definition("010102")  # metadata false: no attributes
    assert "010102" in json.dumps(plain) and "noise_period" not in json.dumps(plain)
    listed = client.get_service_requests(status="open", service_code="010102")
    assert number in [r["service_request_id"] for r in listed]
    day = client.get_service_request(number)["requested_datetime"][:10]
    by_day = client.get_service_requests(start_date=day, end_date=day, service_code="010102")
    assert number in json.dumps(by_day)
    one = client.get_service_request(number)
    assert (one["service_request_id"], one["status"]) == (number, "open")


def test_the_tables_match_their_migration(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'intake.db'}"
    upgrade("intake", url)
    engine = make_engine(url)
    mine = MetaData()
    metadata.tables["open311_clients"].to_metadata(mine)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={"include_name": lambda name, kind, _: kind != "table" or name in mine.tables},
        )
        assert compare_metadata(context, mine) == []
        columns = {c["name"] for c in inspect(conn).get_columns("tickets")}
        indexes = {i["name"] for i in inspect(conn).get_indexes("tickets")}
    engine.dispose()
    assert {"status_notes", "expected_at", "lat", "lon", "media_url"} <= columns
    assert {"ix_tickets_created_at", "ix_tickets_category_created_at"} <= indexes


def test_a_photo_uploaded_to_intake_becomes_the_tickets_own(api: Open311) -> None:
    picture = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(picture, "PNG")
    files = {"file": ("p.png", picture.getvalue(), "image/png")}
    uploaded = httpx.post(api.cluster.url("intake") + "/api/v1/photos", files=files)
    assert uploaded.status_code == 201, uploaded.text
    link = api.cluster.url("intake") + f"/media/{uploaded.json()['id']}"
    number = api.report(media_url=link)
    (seen,) = api.get(f"/requests/{number}.json").json()
    assert seen["media_url"] == link
    assert httpx.get(link).headers["content-type"].startswith("image/")
    again = api.post(service_code="010102", address_id="110105001001", media_url=link)
    assert "照片" in _refused(again, 400)  # attached to the first ticket already


def test_admins_manage_apps_on_their_page(api: Open311, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    base = api.cluster.url("intake")
    page.goto(f"{base}/login?next=/open311-apps")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORDS["admin"])
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/open311-apps")
    name = f"页面通-{uuid.uuid4().hex[:6]}"
    page.fill("#app-name", name)
    page.click("#register button[type=submit]")
    expect(page.locator("#issued")).to_contain_text("o311_")
    key = page.locator("#issued").inner_text().split("：", 1)[1].split("（", 1)[0]
    located = {"service_code": "010102", "address_id": "110105001001"}
    assert api.post(key=key, **located).status_code == 200
    row = page.locator("#apps tbody tr", has_text=name)
    expect(row).to_contain_text("有效")
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button.revoke").click()
    expect(row).to_contain_text("已吊销（admin")
    _refused(api.post(key=key, **located), 403)
    page.click("#register button[type=submit]")  # the name is required: nothing is sent
    page.fill("#app-name", name)
    page.click("#register button[type=submit]")
    expect(page.locator("#register-error")).to_contain_text(name)  # already registered
    page.close()
