"""Dispatch on a real SQLite database through its API: the department's and the dispatcher's
work, bad input refused with nothing changed, and per-object authorization on every route."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from proto.envelope import Envelope
from proto.feedback import ReopenRequested
from proto.tickets import TicketRaisedForSupervision
from services.common.messaging_tables import outbox_table
from services.common.settings import Settings
from services.dispatch.adapters.orm import metadata
from services.dispatch.bootstrap import build
from services.dispatch.config import DispatchSettings
from services.dispatch.handlers import consumers
from services.dispatch.handlers.context import DispatchContext
from tests.support.dispatch import envelope, ticket_created
from tests.support.harness import PASSWORDS


class Clock:
    """The service's idea of now, moved by the tests."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # Monday 09:00 in Beijing

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, clock: Clock) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("dispatch"))
    app = build(settings, DispatchSettings(scheduler=False), now=clock)
    with TestClient(app) as test_client:
        yield test_client


def deps_of(client: TestClient) -> DispatchContext:
    deps: DispatchContext = client.app.state.deps  # type: ignore[attr-defined]
    return deps


_tokens: dict[str, str] = {}


def as_(client: TestClient, username: str, lang: str = "zh-CN") -> dict[str, str]:
    if username not in _tokens:
        form = {"username": username, "password": PASSWORDS[username]}
        _tokens[username] = client.post("/api/v1/auth/token", data=form).json()["access_token"]
    return {"Authorization": f"Bearer {_tokens[username]}", "Accept-Language": lang}


def consume(client: TestClient, handler: Any, env: Envelope, event: Any) -> None:
    """Runs a consumer handler in its own transaction, as the consumer would."""
    deps = deps_of(client)
    with deps.uow() as u:
        handler(deps, u, env, event)
        u.commit()


def new_ticket(client: TestClient, **changes: Any) -> str:
    event = ticket_created(**changes)
    env = envelope(event)
    consume(client, consumers.on_ticket_created, env, event)
    return env.ticket_id


def assignments_of(client: TestClient, ticket_id: str) -> list[dict[str, Any]]:
    response = client.get(
        "/api/v1/assignments", params={"ticket_id": ticket_id}, headers=as_(client, "dispatcher")
    )
    return list(response.json())


def lead_of(client: TestClient, ticket_id: str) -> dict[str, Any]:
    return next(a for a in assignments_of(client, ticket_id) if a["role"] == "lead")


def outbox_count(client: TestClient) -> int:
    with deps_of(client).uow() as u:
        return int(
            u.session.execute(select(func.count()).select_from(outbox_table(metadata))).scalar()
            or 0
        )


def post(client: TestClient, user: str, path: str, body: Any = None, lang: str = "zh-CN") -> Any:
    return client.post(path, json=body if body is not None else {}, headers=as_(client, user, lang))


def test_a_department_works_a_ticket_from_inbox_to_resolution(client: TestClient) -> None:
    ticket = new_ticket(client)
    assignment = lead_of(client, ticket)
    assert (assignment["department_code"], assignment["rule"]) == ("D-JXS", "territory:street")
    inbox = client.get(
        "/api/v1/assignments",
        params={"status": "open", "sort": "deadline"},
        headers=as_(client, "chaoyang-jxs"),
    ).json()
    assert assignment["id"] in [a["id"] for a in inbox]
    base = f"/api/v1/assignments/{assignment['id']}"
    assert post(client, "chaoyang-jxs", f"{base}/acknowledge").status_code == 200
    assert (
        post(client, "chaoyang-jxs", f"{base}/contact", {"note": "已电话联系"}).status_code == 200
    )
    assert (
        post(client, "chaoyang-jxs", f"{base}/notes", {"note": "已约谈施工方"}).status_code == 200
    )
    done = post(client, "chaoyang-jxs", f"{base}/resolve", {"outcome": "施工已停止"})
    assert done.status_code == 200, done.text
    detail = done.json()
    assert detail["status"] == "resolved" and detail["resolved_by"] == "chaoyang-jxs"
    assert [h["type"] for h in detail["history"]] == [
        "AssignmentDispatched",
        "AssignmentAcknowledged",
        "CitizenContacted",
        "ProgressNoted",
        "AssignmentResolved",
    ]
    assert all(h["by"] and h["at"] for h in detail["history"])


def test_inbox_puts_the_nearest_deadline_first(client: TestClient) -> None:
    later = new_ticket(client, category_code="010102")
    sooner = new_ticket(client, urgency="urgent")
    inbox = client.get(
        "/api/v1/assignments",
        params={"status": "open", "sort": "deadline"},
        headers=as_(client, "chaoyang-jxs"),
    ).json()
    order = [a["ticket_id"] for a in inbox]
    assert order.index(sooner) < order.index(later)


@pytest.mark.parametrize(
    ("steps", "action", "body", "status", "code"),
    [
        (["acknowledge"], "acknowledge", None, 409, "dispatch.already_acknowledged"),
        ([], "resolve", {"outcome": "好了"}, 409, "dispatch.not_acknowledged"),
        (["acknowledge"], "resolve", {"outcome": "好了"}, 409, "dispatch.contact_first"),
        ([], "return", {"reason_code": "other"}, 422, "request.validation_failed"),
        ([], "return", {"reason_code": "other", "reason": "  "}, 422, "request.validation_failed"),
        ([], "return", {"reason_code": "lazy", "reason": "x"}, 422, "request.validation_failed"),
        (
            ["acknowledge"],
            "extensions",
            {"new_due": "2026-11-01T00:00:00+08:00", "reason": "x"},
            422,
            "dispatch.extension_not_later",
        ),
        (
            ["acknowledge"],
            "extensions",
            {"new_due": "2027-06-01T00:00:00+08:00", "reason": "x"},
            422,
            "dispatch.extension_beyond_policy",
        ),
        (
            ["acknowledge"],
            "extensions",
            {"new_due": "2026-12-20T00:00:00", "reason": "x"},
            422,
            "request.validation_failed",
        ),
        (["acknowledge"], "contact", {"note": ""}, 422, "request.validation_failed"),
        (["acknowledge"], "resume", None, 409, "dispatch.not_waiting"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    client: TestClient, steps: list[str], action: str, body: Any, status: int, code: str
) -> None:
    base = f"/api/v1/assignments/{lead_of(client, new_ticket(client))['id']}"
    for step in steps:
        assert post(client, "chaoyang-jxs", f"{base}/{step}").status_code == 200
    before = (client.get(base, headers=as_(client, "chaoyang-jxs")).json(), outbox_count(client))
    response = post(client, "chaoyang-jxs", f"{base}/{action}", body, lang="en")
    assert response.status_code == status, response.text
    problem = response.json()
    assert problem["type"].endswith(code) and problem["detail"]
    assert response.headers["content-language"] == "en"
    after = (client.get(base, headers=as_(client, "chaoyang-jxs")).json(), outbox_count(client))
    assert after == before


def test_problems_speak_chinese_by_default(client: TestClient) -> None:
    base = f"/api/v1/assignments/{lead_of(client, new_ticket(client))['id']}"
    response = post(client, "chaoyang-jxs", f"{base}/resolve", {"outcome": "好了"})
    assert response.json()["detail"] == "请先签收该派单。"


STAFF_ROUTES = [
    ("GET", "", None),
    ("POST", "/acknowledge", None),
    ("POST", "/contact", {"note": "x"}),
    ("POST", "/notes", {"note": "x"}),
    ("POST", "/resolve", {"outcome": "x"}),
    ("POST", "/return", {"reason_code": "other", "reason": "x"}),
    ("POST", "/pause", {"note": "x"}),
    ("POST", "/resume", {}),
    ("POST", "/extensions", {"new_due": "2026-12-20T00:00:00+08:00", "reason": "x"}),
]
DISPATCHER_ROUTES = [
    ("POST", "/supervise", {"note": "x"}),
    ("POST", "/urge", {"note": "x"}),
    ("POST", "/supervision/close", {}),
]


@pytest.mark.parametrize(("method", "suffix", "body"), STAFF_ROUTES + DISPATCHER_ROUTES)
def test_another_departments_assignment_is_out_of_reach_on_every_route(
    client: TestClient, method: str, suffix: str, body: Any
) -> None:
    water = lead_of(client, new_ticket(client, category_code="020101"))
    assert water["department_code"] == "U-WATER"
    before = client.get(f"/api/v1/assignments/{water['id']}", headers=as_(client, "water")).json()
    url = f"/api/v1/assignments/{water['id']}{suffix}"
    response = client.request(method, url, json=body, headers=as_(client, "chaoyang-jxs"))
    expected = 403 if (method, suffix, body) in DISPATCHER_ROUTES else 404
    assert response.status_code == expected, response.text
    after = client.get(f"/api/v1/assignments/{water['id']}", headers=as_(client, "water")).json()
    assert after == before


def test_staff_lists_show_their_department_only(client: TestClient) -> None:
    new_ticket(client, category_code="020101")
    for path in ("/api/v1/assignments", "/api/v1/extensions", "/api/v1/supervisions"):
        rows = client.get(path, headers=as_(client, "chaoyang-jxs")).json()
        assert all(r["department_code"] == "D-JXS" for r in rows), path
    for path in ("/api/v1/review-queue", "/api/v1/returned"):
        assert client.get(path, headers=as_(client, "chaoyang-jxs")).status_code == 403
    extension = "/api/v1/extensions/nope/decision"
    assert post(client, "chaoyang-jxs", extension, {"granted": True}).status_code == 403
    ticket = "/api/v1/tickets/nope/dispatch"
    assert post(client, "chaoyang-jxs", ticket, {"department_code": "D-JXS"}).status_code == 403


def test_a_dispatcher_sends_a_ticket_from_the_review_queue(client: TestClient) -> None:
    ticket = new_ticket(client, area_code=None, area_path=[])
    queue = client.get("/api/v1/review-queue", headers=as_(client, "dispatcher")).json()
    assert next(t for t in queue if t["id"] == ticket)["review_reason"] == "no_location"
    bad = post(client, "dispatcher", f"/api/v1/tickets/{ticket}/dispatch", {"department_code": "X"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "department_code"
    body = {"department_code": "D-ZGC", "co": ["U-POWER"], "note": "请核实地址"}
    made = post(client, "dispatcher", f"/api/v1/tickets/{ticket}/dispatch", body)
    assert made.status_code == 201, made.text
    assert [(a["department_code"], a["role"], a["rule"]) for a in made.json()] == [
        ("D-ZGC", "lead", "manual"),
        ("U-POWER", "co", "manual"),
    ]
    again = post(client, "dispatcher", f"/api/v1/tickets/{ticket}/dispatch", body)
    assert again.status_code == 409
    queue = client.get("/api/v1/review-queue", headers=as_(client, "dispatcher")).json()
    assert ticket not in [t["id"] for t in queue]


def test_a_ticket_intake_asks_a_dispatcher_to_review_is_not_routed_by_rule(
    client: TestClient,
) -> None:
    # Area and category alone would route it by territory; intake said a person must look.
    routed = new_ticket(client)
    reviewed = new_ticket(client, review="citizen_unsure")
    queue = client.get("/api/v1/review-queue", headers=as_(client, "dispatcher")).json()
    reasons = {t["id"]: t["review_reason"] for t in queue}
    assert routed not in reasons and reasons[reviewed] == "citizen_unsure"
    assert assignments_of(client, reviewed) == []


def test_a_ticket_answered_at_intake_is_not_for_a_dispatcher(client: TestClient) -> None:
    ticket = new_ticket(client, answered_directly=True)
    queue = client.get("/api/v1/review-queue", headers=as_(client, "dispatcher")).json()
    assert ticket not in [t["id"] for t in queue]
    body = {"department_code": "D-JXS"}
    sent = post(client, "dispatcher", f"/api/v1/tickets/{ticket}/dispatch", body)
    assert sent.status_code == 409 and assignments_of(client, ticket) == []


def test_a_returned_ticket_waits_with_who_and_why_then_goes_again(client: TestClient) -> None:
    ticket = new_ticket(client)
    first = lead_of(client, ticket)
    body = {"reason_code": "not_our_duty", "reason": "属于物业管理范围"}
    assert (
        post(client, "chaoyang-jxs", f"/api/v1/assignments/{first['id']}/return", body).status_code
        == 200
    )
    returned = client.get("/api/v1/returned", headers=as_(client, "dispatcher")).json()
    entry = next(t for t in returned if t["id"] == ticket)["returned"]
    assert (entry["returned_by"], entry["return_reason"]) == ("chaoyang-jxs", "属于物业管理范围")
    # The dispatcher may disagree and send it to the same office again: a new attempt.
    again = post(
        client, "dispatcher", f"/api/v1/tickets/{ticket}/dispatch", {"department_code": "D-JXS"}
    )
    assert again.status_code == 201 and again.json()[0]["attempt"] == 2
    assert ticket not in [
        t["id"] for t in client.get("/api/v1/returned", headers=as_(client, "dispatcher")).json()
    ]


def test_an_extension_is_asked_then_granted_and_moves_the_deadline(client: TestClient) -> None:
    a = lead_of(client, new_ticket(client))
    base = f"/api/v1/assignments/{a['id']}"
    post(client, "chaoyang-jxs", f"{base}/acknowledge")
    due = datetime.fromisoformat(a["clocks"]["resolve"]["due_at"]) + timedelta(days=3)
    asked = post(
        client,
        "chaoyang-jxs",
        f"{base}/extensions",
        {"new_due": due.isoformat(), "reason": "需协调"},
    )
    assert asked.status_code == 201, asked.text
    twice = post(
        client, "chaoyang-jxs", f"{base}/extensions", {"new_due": due.isoformat(), "reason": "再来"}
    )
    assert twice.status_code == 409
    pending = client.get("/api/v1/extensions", headers=as_(client, "dispatcher")).json()
    assert asked.json()["id"] in [x["id"] for x in pending]
    decided = post(
        client, "dispatcher", f"/api/v1/extensions/{asked.json()['id']}/decision", {"granted": True}
    )
    assert decided.status_code == 200 and decided.json()["status"] == "granted"
    resolve = client.get(base, headers=as_(client, "chaoyang-jxs")).json()["clocks"]["resolve"]
    assert datetime.fromisoformat(resolve["due_at"]) == due
    again = post(
        client,
        "dispatcher",
        f"/api/v1/extensions/{asked.json()['id']}/decision",
        {"granted": False},
    )
    assert again.status_code == 409


def test_waiting_on_the_citizen_pauses_and_resumes_the_clocks(
    client: TestClient, clock: Clock
) -> None:
    a = lead_of(client, new_ticket(client, urgency="urgent"))
    base = f"/api/v1/assignments/{a['id']}"
    post(client, "chaoyang-jxs", f"{base}/acknowledge")
    assert post(client, "chaoyang-jxs", f"{base}/pause", {"note": "市民外出"}).json()["waiting"]
    clock.now += timedelta(hours=5)
    try:
        resumed = post(client, "chaoyang-jxs", f"{base}/resume").json()
    finally:
        clock.now -= timedelta(hours=5)
    old = datetime.fromisoformat(a["clocks"]["resolve"]["due_at"])
    assert datetime.fromisoformat(resumed["clocks"]["resolve"]["due_at"]) == old + timedelta(
        hours=5
    )


def test_supervision_by_hand_repeat_calls_and_reopen_limit(client: TestClient) -> None:
    ticket = new_ticket(client)
    a = lead_of(client, ticket)
    event = TicketRaisedForSupervision(reason="repeat_calls", calls=3, raised_at=datetime.now(UTC))
    consume(client, consumers.on_raised_for_supervision, envelope(event, ticket), event)
    listed = client.get("/api/v1/supervisions", headers=as_(client, "dispatcher")).json()
    entry = next(s for s in listed if s["id"] == a["id"])
    assert entry["supervision_reason"] == "repeat_calls:3" and entry["opened_by"] == "intake"
    assert (
        post(
            client, "dispatcher", f"/api/v1/assignments/{a['id']}/supervise", {"note": "x"}
        ).status_code
        == 409
    )
    assert (
        post(
            client, "dispatcher", f"/api/v1/assignments/{a['id']}/urge", {"note": "请今日办结"}
        ).status_code
        == 200
    )
    closed = post(
        client, "dispatcher", f"/api/v1/assignments/{a['id']}/supervision/close", {"note": "已处理"}
    )
    assert closed.status_code == 200 and not closed.json()["supervised"]
    listed = client.get("/api/v1/supervisions", headers=as_(client, "dispatcher")).json()
    assert a["id"] not in [s["id"] for s in listed]


def test_a_reopened_ticket_gets_a_new_round_with_fresh_clocks(
    client: TestClient, clock: Clock
) -> None:
    ticket = new_ticket(client)
    first = lead_of(client, ticket)
    clock.now += timedelta(days=2)
    try:
        event = ReopenRequested(
            department_code="D-JXS",
            comment="噪音仍在",
            reopen_count=1,
            supervise=False,
            at=clock.now,
        )
        consume(client, consumers.on_reopen_requested, envelope(event, ticket), event)
    finally:
        clock.now -= timedelta(days=2)
    rounds = {a["round"]: a for a in assignments_of(client, ticket)}
    assert set(rounds) == {1, 2}
    second = rounds[2]
    assert (second["department_code"], second["rule"], second["note"]) == (
        "D-JXS",
        "reopen:previous",
        "噪音仍在",
    )
    assert second["dispatched_at"] > first["dispatched_at"]
    assert second["clocks"]["resolve"]["due_at"] > first["clocks"]["resolve"]["due_at"]
    limit = ReopenRequested(
        department_code="D-JXS",
        comment="还是不行",
        reopen_count=3,
        supervise=True,
        at=datetime.now(UTC),
    )
    consume(client, consumers.on_reopen_requested, envelope(limit, ticket), limit)
    assert len(assignments_of(client, ticket)) == 2
    supervised = [a for a in assignments_of(client, ticket) if a["supervised"]]
    assert [a["round"] for a in supervised] == [2]


def test_routing_rules_are_edited_validated_and_used_at_once(client: TestClient) -> None:
    admin = "admin"
    bad = post(
        client,
        admin,
        "/api/v1/routing-rules",
        {"id": "R-GAS", "department": "U-NOPE", "category": "99"},
        lang="en",
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"department", "category"}
    assert "U-NOPE" in bad.json()["errors"][0]["message"]
    assert (
        post(
            client,
            "dispatcher",
            "/api/v1/routing-rules",
            {"id": "R-GAS", "department": "U-GAS", "category": "010102"},
        ).status_code
        == 403
    )
    made = post(
        client,
        admin,
        "/api/v1/routing-rules",
        {
            "id": "R-TRASH",
            "department": "B-URBAN",
            "category": "010102",
            "area": "110105",
            "position": 0,
        },
    )
    assert made.status_code == 201, made.text
    assert (
        lead_of(client, new_ticket(client, category_code="010102"))["department_code"] == "B-URBAN"
    )
    assert (
        post(
            client,
            admin,
            "/api/v1/routing-rules",
            {"id": "R-TRASH", "department": "B-URBAN", "category": "0101"},
        ).status_code
        == 409
    )
    changed = client.put(
        "/api/v1/routing-rules/R-TRASH",
        json={"department": "U-GAS", "category": "010102", "co": ["G-CY"]},
        headers=as_(client, admin),
    )
    assert changed.status_code == 200 and changed.json()["co"] == ["G-CY"]
    routed = assignments_of(client, new_ticket(client, category_code="010102"))
    assert {(a["department_code"], a["role"]) for a in routed} == {
        ("U-GAS", "lead"),
        ("G-CY", "co"),
    }
    assert (
        client.delete("/api/v1/routing-rules/R-TRASH", headers=as_(client, admin)).status_code
        == 204
    )
    assert (
        client.delete("/api/v1/routing-rules/R-TRASH", headers=as_(client, admin)).status_code
        == 404
    )
    assert lead_of(client, new_ticket(client, category_code="010102"))["department_code"] == "D-JXS"


def test_categories_seen_on_tickets_become_valid_for_rules(client: TestClient) -> None:
    new_ticket(client, category_code="050101", category_path=["新领域", "新类", "新事项"])
    rule = {"id": "R-NEW", "department": "B-MARKET", "category": "0501"}
    assert post(client, "admin", "/api/v1/routing-rules", rule).status_code == 201
    assert (
        client.delete("/api/v1/routing-rules/R-NEW", headers=as_(client, "admin")).status_code
        == 204
    )


def test_the_directory_and_metrics_are_served(client: TestClient) -> None:
    departments = client.get("/api/v1/departments", headers=as_(client, "agent1")).json()
    assert len(departments) > 300 and {"D-JXS", "G-CY", "U-WATER"} <= {
        d["code"] for d in departments
    }
    text = client.get("/metrics").text
    for name in (
        "hotline_dispatch_time_to_acknowledge_seconds_bucket",
        "hotline_dispatch_routed_total",
        "hotline_dispatch_sla_breaches_total",
    ):
        assert name in text
