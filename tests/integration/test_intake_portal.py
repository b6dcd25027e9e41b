"""The citizen portal's public API on PostgreSQL: a code to the number, a report that
becomes a web ticket, the tracking page fed by the bus, opt-out, lookup by number, and the
refusals (clear 4xx, nothing stored)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from proto.assignments import (
    AssignmentDispatched,
    AssignmentResolved,
    AssignmentReturned,
    CitizenContacted,
)
from proto.feedback import RatingRequested, TicketRated
from services.common.settings import Settings
from services.intake.adapters import portal_store
from services.intake.bootstrap import build
from tests.support import peers
from tests.support.harness import drain, driven
from tests.support.intake import IntakeApi, app_of, count, outbox, publish

pytestmark = pytest.mark.peers

PHONE = "13912345678"
NOTE = "内部备注：请先电话联系物业经理王某"


@pytest.fixture(scope="module")
def api(postgres: peers.Peer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[IntakeApi]:
    name = f"intake_{uuid.uuid4().hex[:8]}"
    peers.create_databases(postgres, (name,))
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("portal-pg"),
        database_url=postgres.url.replace("{db}", name),
    )
    with TestClient(driven(build(settings))) as client:
        yield IntakeApi(client)


def citizen(api: IntakeApi, address: str) -> TestClient:
    """A client from its own address, so each test's throttles start afresh."""
    return TestClient(app_of(api.client), client=(address, 5000))


def code_for(api: IntakeApi, code_id: str) -> str:
    """The code texted, read from intake's local outbox."""
    query = text("SELECT text FROM sms_messages WHERE request_id = :r")
    with app_of(api.client).state.platform.engine.connect() as conn:
        sent = conn.execute(query, {"r": f"code:{code_id}"}).scalar_one()
    found = re.search(r"验证码是(\d{6})", sent)
    assert found, sent
    return found.group(1)


def verified(api: IntakeApi, web: TestClient, phone: str = PHONE) -> str:
    sent = web.post("/api/v1/public/codes", json={"phone": phone})
    assert sent.status_code == 202, sent.text
    code_id = sent.json()["id"]
    checked = web.post(
        f"/api/v1/public/codes/{code_id}/verify", json={"code": code_for(api, code_id)}
    )
    assert checked.status_code == 200, checked.text
    return str(checked.json()["proof"])


def report(proof: str, phone: str = PHONE, **changes: Any) -> dict[str, Any]:
    body = {
        "phone": phone,
        "proof": proof,
        "request_type": "complaint",
        "category_code": "010101",
        "area_code": "110105001001",
        "description": "小区门口夜间施工，噪音很大",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def token_of(url: str) -> str:
    return url.rsplit("/track/", 1)[1]


def created(api: IntakeApi, number: str) -> dict[str, Any]:
    return next(
        p for kind, p in outbox(api.client) if kind == "TicketCreated" and p["number"] == number
    )


def test_a_verified_citizen_reports_and_gets_a_tracking_link(api: IntakeApi) -> None:
    web = citizen(api, "198.51.100.1")
    proof = verified(api, web)
    response = web.post("/api/v1/public/reports", json=report(proof, hide_number=True))
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert receipt["under_review"] is False
    event = created(api, receipt["ticket_number"])
    assert (event["channel"], event["review"], event["created_by"]) == ("web", "", "portal")
    assert event["has_phone"] is False  # hidden from departments
    texts = api.get("/api/v1/sms", user="admin").json()
    accepted = next(
        t
        for t in texts
        if t["purpose"] == "accepted" and t["ticket_number"] == receipt["ticket_number"]
    )
    assert receipt["tracking_url"] in accepted["text"]
    seen = web.get(f"/api/v1/public/track/{token_of(receipt['tracking_url'])}")
    assert seen.headers["cache-control"] == "no-store"
    assert seen.json()["number"] == receipt["ticket_number"]
    assert [e["kind"] for e in seen.json()["entries"]] == ["accepted"]
    assert seen.json()["number_hidden"] is True
    # The proof vouched once.
    again = web.post("/api/v1/public/reports", json=report(proof))
    assert again.status_code == 422
    assert again.json()["errors"][0]["field"] == "proof"


def test_a_request_the_citizen_cannot_place_goes_to_review(api: IntakeApi) -> None:
    web = citizen(api, "198.51.100.2")
    proof = verified(api, web)
    body = report(proof, category_code=None, area_code=None, address="我家楼下那条小路")
    receipt = web.post("/api/v1/public/reports", json=body).json()
    assert receipt["under_review"] is True
    event = created(api, receipt["ticket_number"])
    assert (event["category_code"], event["review"]) == ("990101", "citizen_unsure")
    assert "我家楼下那条小路" in event["description"]
    assert event["has_phone"] is True


def test_bad_input_is_a_clear_4xx_and_stores_nothing(api: IntakeApi) -> None:
    web = citizen(api, "198.51.100.3")
    bad = web.post(
        "/api/v1/public/codes", json={"phone": "12345"}, headers={"Accept-Language": "en"}
    )
    assert bad.status_code == 422 and "valid" in bad.json()["detail"]
    landline = web.post("/api/v1/public/codes", json={"phone": "01065001234"})
    assert landline.status_code == 422 and "手机" in landline.json()["detail"]
    proof = verified(api, web, "13912340003")
    tickets = count(api.client, "tickets")
    for change in (
        {"area_code": "999"},
        {"category_code": "999999"},
        {"description": ""},
        {"photos": ["a", "b", "c", "d"]},
    ):
        refused = web.post("/api/v1/public/reports", json=report(proof, "13912340003", **change))
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
    other_number = web.post("/api/v1/public/reports", json=report(proof, "13912340004"))
    assert other_number.status_code == 422
    assert count(api.client, "tickets") == tickets
    # Fixed, the same proof still works.
    assert web.post("/api/v1/public/reports", json=report(proof, "13912340003")).status_code == 201


def test_a_code_takes_five_attempts(api: IntakeApi) -> None:
    web = citizen(api, "198.51.100.4")
    code_id = web.post("/api/v1/public/codes", json={"phone": "13912340005"}).json()["id"]
    right = code_for(api, code_id)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    details = []
    for _ in range(5):
        answer = web.post(f"/api/v1/public/codes/{code_id}/verify", json={"code": wrong})
        assert answer.status_code == 422
        details.append(answer.json()["detail"])
    assert "4" in details[0] and "0" in details[-1]
    late = web.post(f"/api/v1/public/codes/{code_id}/verify", json={"code": right})
    assert late.status_code == 429
    unknown = web.post("/api/v1/public/codes/nope/verify", json={"code": right})
    assert unknown.status_code == 410


def test_codes_are_throttled_per_number_and_per_address(api: IntakeApi) -> None:
    web = citizen(api, "198.51.100.5")
    answers = [
        web.post("/api/v1/public/codes", json={"phone": "13912340006"}).status_code
        for _ in range(6)
    ]
    assert answers == [202] * 5 + [429]
    crowd = citizen(api, "198.51.100.6")
    answers = [
        crowd.post("/api/v1/public/codes", json={"phone": f"139000000{n:02d}"}).status_code
        for n in range(21)
    ]
    assert answers == [202] * 20 + [429]
    assert (
        citizen(api, "198.51.100.7")
        .post("/api/v1/public/codes", json={"phone": "13912340007"})
        .status_code
        == 202
    )


def test_a_retried_report_with_its_key_makes_one_ticket(api: IntakeApi) -> None:
    web = citizen(api, "198.51.100.8")
    proof = verified(api, web, "13912340008")
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    first = web.post("/api/v1/public/reports", json=report(proof, "13912340008"), headers=headers)
    again = web.post("/api/v1/public/reports", json=report(proof, "13912340008"), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"


def test_one_proof_sent_twice_at_once_makes_one_ticket(api: IntakeApi) -> None:
    web = citizen(api, "198.51.100.14")
    proof = verified(api, web, "13912340014")
    tickets = count(api.client, "tickets")
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(
            pool.map(
                lambda _: (
                    web.post(
                        "/api/v1/public/reports", json=report(proof, "13912340014")
                    ).status_code
                ),
                range(2),
            )
        )
    assert sorted(answers) == [201, 422]
    assert count(api.client, "tickets") == tickets + 1


def _follow(web: TestClient, token: str) -> httpx.Response:
    return web.get(f"/api/v1/public/track/{token}")


def test_the_timeline_shows_the_citizen_what_is_theirs_and_nothing_internal(api: IntakeApi) -> None:
    web = citizen(api, "198.51.100.9")
    proof = verified(api, web, "13912340009")
    receipt = web.post("/api/v1/public/reports", json=report(proof, "13912340009")).json()
    token = token_of(receipt["tracking_url"])
    ticket_id = _ticket_id(api, receipt["ticket_number"])
    now = datetime.now(UTC)
    events = [
        AssignmentDispatched(
            assignment_id="a1",
            department_code="D-X",
            department_name="朝阳区城管委",
            rule="r",
            dispatched_at=now,
            dispatched_by="dispatcher1",
            note=NOTE,
        ),
        AssignmentDispatched(
            assignment_id="a2",
            department_code="D-Y",
            department_name="协办的街道办",
            rule="r",
            dispatched_at=now,
            role="co",
        ),
        AssignmentReturned(
            assignment_id="a2",
            department_code="D-Y",
            reason_code="not_ours",
            reason=NOTE,
            by="staff-y",
            at=now + timedelta(minutes=1),
        ),
        CitizenContacted(
            assignment_id="a1",
            department_code="D-X",
            note=NOTE,
            by="staff-x",
            at=now + timedelta(minutes=2),
        ),
        AssignmentResolved(
            assignment_id="a1",
            department_code="D-X",
            department_name="朝阳区城管委",
            outcome="已责令施工方夜间停工",
            by="staff-x",
            at=now + timedelta(minutes=3),
            dispatched_at=now,
            photos=["ph_reply1"],
        ),
        RatingRequested(
            invitation_id="inv-t",
            link="http://127.0.0.1/rate/inv-t",
            expires_at=now + timedelta(days=3),
            department_code="D-X",
            at=now + timedelta(minutes=4),
        ),
        TicketRated(
            invitation_id="inv-t",
            department_code="D-X",
            contacted=True,
            solved=True,
            satisfaction="satisfied",
            comment="谢谢",
            via="link",
            by=None,
            at=now + timedelta(minutes=5),
        ),
    ]
    for event in events:
        publish(api.client, event, ticket_id, "dispatch")
    drain(app_of(api.client))
    seen = _follow(web, token).json()
    kinds = [e["kind"] for e in seen["entries"]]
    assert kinds == ["accepted", "dispatched", "contacted", "resolved", "rated"]
    resolved = seen["entries"][3]
    assert (resolved["department"], resolved["text"]) == ("朝阳区城管委", "已责令施工方夜间停工")
    assert resolved["photos"][0]["url"].endswith("/media/ph_reply1")
    shown = str(seen)
    for internal in (NOTE, "dispatcher1", "staff-x", "staff-y", "协办的街道办", "not_ours"):
        assert internal not in shown
    rating = next(
        t
        for t in api.get("/api/v1/sms", user="admin").json()
        if t["purpose"] == "rating" and t["ticket_id"] == ticket_id
    )
    assert "/track/" in rating["text"] and rating["text"].endswith("/rate/inv-t")


def _ticket_id(api: IntakeApi, number: str) -> str:
    rows = api.get("/api/v1/tickets", user="dispatcher", mine=False, limit=200).json()
    return str(next(t["id"] for t in rows if t["number"] == number))


def test_opting_out_stops_milestone_texts(api: IntakeApi) -> None:
    web = citizen(api, "198.51.100.10")
    proof = verified(api, web, "13912340010")
    receipt = web.post("/api/v1/public/reports", json=report(proof, "13912340010")).json()
    token = token_of(receipt["tracking_url"])
    assert _follow(web, token).json()["texts"] is True
    assert web.put(f"/api/v1/public/track/{token}/texts", json={"receive": False}).json() == {
        "receive": False
    }
    assert _follow(web, token).json()["texts"] is False
    ticket_id = _ticket_id(api, receipt["ticket_number"])
    now = datetime.now(UTC)
    asked = RatingRequested(
        invitation_id="inv-o",
        link="http://127.0.0.1/rate/inv-o",
        expires_at=now + timedelta(days=3),
        department_code="D-X",
        at=now,
    )
    publish(api.client, asked, ticket_id, "feedback")
    drain(app_of(api.client))
    rating = next(
        t
        for t in api.get("/api/v1/sms", user="admin").json()
        if t["purpose"] == "rating" and t["ticket_id"] == ticket_id
    )
    assert rating["status"] == "opted_out" and "/rate/" not in rating["text"]


def test_a_ticket_is_found_by_its_number_and_a_code_and_links_can_be_revoked(
    api: IntakeApi,
) -> None:
    phoned = api.call(caller_phone="13912340011").json()
    web = citizen(api, "198.51.100.11")
    sent = web.post("/api/v1/public/lookups", json={"number": phoned["number"]})
    assert sent.status_code == 202
    code_id = sent.json()["id"]
    opened = web.post(
        f"/api/v1/public/codes/{code_id}/verify", json={"code": code_for(api, code_id)}
    ).json()
    old = token_of(opened["tracking_url"])
    assert _follow(web, old).json()["number"] == phoned["number"]
    nobody = web.post("/api/v1/public/lookups", json={"number": "99010100001"})
    assert nobody.status_code == 202 and set(nobody.json()) == {"id", "expires_at"}
    revoked = api.send("POST", f"/api/v1/tickets/{phoned['id']}/tracking/revoke")
    assert revoked.status_code == 204
    assert _follow(web, old).status_code == 404
    code_id = web.post("/api/v1/public/lookups", json={"number": phoned["number"]}).json()["id"]
    fresh = web.post(
        f"/api/v1/public/codes/{code_id}/verify", json={"code": code_for(api, code_id)}
    ).json()
    assert _follow(web, token_of(fresh["tracking_url"])).status_code == 200
    assert _follow(web, old[:-2] + "xx").status_code == 404


def test_the_public_pages_and_lookups_need_no_account(api: IntakeApi) -> None:
    web = citizen(api, "198.51.100.12")
    for path in ("/report", "/track", "/track/anything"):
        page = web.get(path)
        assert page.status_code == 200 and page.headers["referrer-policy"] == "no-referrer"
    hits = web.get("/api/v1/public/categories", params={"q": "zyrm"}).json()
    assert hits and hits[0]["name"] == "噪音扰民"
    places = web.get("/api/v1/public/places", params={"q": "永安里"}).json()
    assert places[0]["code"] == "110105001001"
    near = web.get("/api/v1/public/places/near", params={"lat": 39.92, "lon": 116.45}).json()
    assert near["code"] == "110105"
    far = web.get("/api/v1/public/places/near", params={"lat": 41.5, "lon": 118.0})
    assert far.status_code == 404


def test_codes_are_forgotten_once_no_throttle_counts_them(api: IntakeApi) -> None:
    """Last in the module: it forgets every code the others asked for."""
    web = citizen(api, "198.51.100.13")
    assert web.post("/api/v1/public/codes", json={"phone": "13912340013"}).status_code == 202
    engine = app_of(api.client).state.platform.engine
    with Session(engine) as session:
        kept = portal_store.purge(session, datetime.now(UTC) - timedelta(days=1), 1000)
        gone = portal_store.purge(session, datetime.now(UTC) + timedelta(days=2), 10_000)
        session.commit()
    assert kept == 0 and gone > 0
    assert count(api.client, "portal_codes") == 0
    query = text("SELECT count(*) FROM sms_messages WHERE recipient_cipher IS NOT NULL")
    with engine.connect() as conn:
        assert conn.execute(query).scalar_one() == 0
