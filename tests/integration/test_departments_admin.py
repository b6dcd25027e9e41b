"""Departments edited by admins through dispatch's API on a real SQLite database: added,
renamed, given a territory that routing uses at once and a duty contact; merged, with the
open work following with its clocks, the rules naming the merged department repointed and
the merged department refusing new work; every change an audit event in the outbox; bad
input and other roles refused with nothing changed. Also the audit events of the calendar
import and the notice settings, and a change kept for a later date."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from services.common import scheduled
from services.common.auth import Principal, Role
from services.common.messaging_tables import outbox_table
from services.common.settings import Settings
from services.dispatch.adapters.orm import metadata, scheduled_changes
from services.dispatch.bootstrap import build
from services.dispatch.config import DispatchSettings
from services.dispatch.domain.routing import Rule
from services.dispatch.handlers import consumers, departments, rules
from services.dispatch.handlers.context import DispatchContext
from tests.support import peers
from tests.support.dispatch import envelope, ticket_created
from tests.support.harness import PASSWORDS

ADMIN = Principal("admin", "管理员", Role.admin)
PAST = "2020-01-01T00:00:00Z"
# 中关村街道 (D-ZGC), in 海淀区.
ZGC_PLACE = {"area_code": "110108001001", "area_path": ["海淀区", "中关村街道", "中关村社区"]}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # Monday 09:00 in Beijing

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.peers)]
)
def client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """The whole module once on each database (the merge locks rows on PostgreSQL)."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("departments"))
    if request.param == "postgresql":
        postgres: peers.Peer = request.getfixturevalue("postgres")
        name = f"departments_{uuid.uuid4().hex[:8]}"
        peers.create_databases(postgres, (name,))
        settings = settings.model_copy(update={"database_url": postgres.url.replace("{db}", name)})
    clock = Clock()
    app = build(settings, DispatchSettings(scheduler=False), now=clock)
    app.state.clock = clock
    _tokens.clear()
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def clock(client: TestClient) -> Clock:
    found: Clock = client.app.state.clock  # type: ignore[attr-defined]
    return found


def deps_of(client: TestClient) -> DispatchContext:
    deps: DispatchContext = client.app.state.deps  # type: ignore[attr-defined]
    return deps


_tokens: dict[str, str] = {}


def as_(client: TestClient, username: str, lang: str = "zh-CN") -> dict[str, str]:
    if username not in _tokens:
        form = {"username": username, "password": PASSWORDS[username]}
        _tokens[username] = client.post("/api/v1/auth/token", data=form).json()["access_token"]
    return {"Authorization": f"Bearer {_tokens[username]}", "Accept-Language": lang}


def new_ticket(client: TestClient, **changes: Any) -> str:
    event = ticket_created(**changes)
    env = envelope(event)
    deps = deps_of(client)
    with deps.uow() as u:
        consumers.on_ticket_created(deps, u, env, event)
        u.commit()
    return env.ticket_id


def assignments_of(client: TestClient, ticket_id: str) -> list[dict[str, Any]]:
    found = client.get(
        "/api/v1/assignments",
        params={"ticket_id": ticket_id, "status": "all"},
        headers=as_(client, "dispatcher"),
    )
    return list(found.json())


def overview(client: TestClient) -> dict[str, dict[str, Any]]:
    found = client.get("/api/v1/department-overview", headers=as_(client, "dispatcher"))
    assert found.status_code == 200, found.text
    return {d["code"]: d for d in found.json()}


def published(client: TestClient, kind: str | None = None) -> list[dict[str, Any]]:
    """Events in the outbox, oldest first: (type, payload), audit events of `kind` only."""
    with deps_of(client).uow() as u:
        rows = u.session.scalars(select(outbox_table(metadata).c.payload).order_by("id"))
        found = [json.loads(r) for r in rows]
    if kind is None:
        return found
    return [
        e for e in found if e["type"] == "ConfigurationChanged" and e["payload"]["kind"] == kind
    ]


def test_an_admin_adds_renames_and_gives_a_territory_that_routing_uses(client: TestClient) -> None:
    admin = as_(client, "admin")
    body = {"code": "D-NEW", "name": "朝阳区新街道办事处", "kind": "street", "parent": "G-CY",
            "territory": ["110105990"], "duty_name": "王值班"}  # fmt: skip
    made = client.post("/api/v1/departments", json=body, headers=admin)
    assert made.status_code == 201, made.text
    assert (made.json()["territory"], made.json()["duty_name"]) == (["110105990"], "王值班")
    ticket = new_ticket(client, number="2611300101", area_code="110105990001")
    assert [a["department_code"] for a in assignments_of(client, ticket)] == ["D-NEW"]

    renamed = client.patch("/api/v1/departments/D-NEW", json={"name": "朝阳区新城街道办事处",
                           "territory": ["110105990", "110105991"]}, headers=admin)  # fmt: skip
    assert renamed.status_code == 200, renamed.text
    listed = overview(client)["D-NEW"]
    assert listed["name"] == "朝阳区新城街道办事处" and listed["open_assignments"] == 1
    assert listed["territory"] == ["110105990", "110105991"] and listed["version"] == 2
    later = new_ticket(client, number="2611300102", area_code="110105991002")
    assert [a["department_code"] for a in assignments_of(client, later)] == ["D-NEW"]

    audits = [e["payload"] for e in published(client, "department")]
    assert [(a["key"], a["action"]) for a in audits] == [("D-NEW", "create"), ("D-NEW", "change")]
    assert audits[1]["before"]["name"] == "朝阳区新街道办事处"
    assert audits[1]["after"]["territory"] == ["110105990", "110105991"]
    assert audits[1]["by"] == "admin" and audits[1]["version"] == 2
    kept = client.get("/api/v1/department-changes", params={"code": "D-NEW"},
                      headers=as_(client, "dispatcher")).json()  # fmt: skip
    names = [(c["action"], c["before"] and c["before"]["name"], c["after"]["name"]) for c in kept]
    assert names == [
        ("change", "朝阳区新街道办事处", "朝阳区新城街道办事处"),
        ("create", None, "朝阳区新街道办事处"),
    ]


def test_the_duty_contact_reuses_the_notice_settings_and_is_audited(client: TestClient) -> None:
    admin = as_(client, "admin")
    body = {"duty_name": "李值班", "notice_channel": "sms", "duty_phone": "010-65001234"}
    done = client.patch("/api/v1/departments/D-NEW", json=body, headers=admin)
    assert done.status_code == 200, done.text
    notices = client.get("/api/v1/departments/D-NEW/notices", headers=admin).json()
    assert (notices["notice_channel"], notices["duty_phone"]) == ("sms", "010-65001234")
    assert overview(client)["D-NEW"]["duty_name"] == "李值班"
    [audit] = [e["payload"] for e in published(client, "notice_settings")]
    assert (audit["before"]["notice_channel"], audit["after"]["notice_channel"]) == ("none", "sms")
    # The existing notice-settings route is audited too.
    again = client.put("/api/v1/departments/D-NEW/notices", json={"notice_channel": "none"},
                       headers=admin)  # fmt: skip
    assert again.status_code == 200
    assert len(published(client, "notice_settings")) == 2


def test_bad_input_and_other_roles_are_refused_with_nothing_changed(client: TestClient) -> None:
    admin, before = as_(client, "admin"), overview(client)
    outbox = len(published(client))
    cases = [
        ("post", "/api/v1/departments", {"code": "D-NEW", "name": "重复", "kind": "street"}, 409),
        ("post", "/api/v1/departments", {"code": "d new", "name": "x", "kind": "street"}, 422),
        ("post", "/api/v1/departments", {"code": "D-X", "name": "x", "kind": "planet"}, 422),
        ("patch", "/api/v1/departments/D-NEW", {"territory": ["110105001"]}, 422),  # D-JXS's
        ("patch", "/api/v1/departments/D-NEW", {"territory": ["1101"]}, 422),
        ("patch", "/api/v1/departments/D-NEW", {"notice_channel": "sms"}, 422),  # no phone
        ("patch", "/api/v1/departments/D-NOPE", {"name": "x"}, 404),
        ("post", "/api/v1/departments/D-NEW/merge", {"into": "D-NEW"}, 422),
        ("post", "/api/v1/departments/C-CENTER/merge", {"into": "D-NEW"}, 409),
        ("post", "/api/v1/departments/D-NEW/merge", {"into": "D-NOPE"}, 404),
        ("patch", "/api/v1/departments/D-NEW", {"name": "x", "effective_at": PAST}, 422),
    ]  # fmt: skip
    for method, path, body, status in cases:
        answer = getattr(client, method)(path, json=body, headers=admin)
        assert answer.status_code == status, (path, body, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["detail"]
    taken = client.patch("/api/v1/departments/D-NEW", json={"territory": ["110105001"]},
                         headers=as_(client, "admin", "en"))  # fmt: skip
    assert "another department's territory" in taken.json()["errors"][0]["message"]
    for user in ("dispatcher", "chaoyang-jxs", "agent1"):
        refused = client.patch("/api/v1/departments/D-NEW", json={"name": "x"},
                               headers=as_(client, user))  # fmt: skip
        assert refused.status_code == 403
    assert (
        client.get("/api/v1/department-overview", headers=as_(client, "agent1")).status_code == 403
    )
    assert overview(client) == before and len(published(client)) == outbox


def test_a_merge_hands_on_open_work_with_its_clocks_repoints_rules_and_retires(
    client: TestClient, clock: Clock
) -> None:
    deps = deps_of(client)
    # D-ZGC holds an acknowledged ticket and one it has not seen yet, and two rules name it.
    worked = new_ticket(client, number="2611300201", **ZGC_PLACE)
    fresh = new_ticket(client, number="2611300202", **ZGC_PLACE)
    [first] = assignments_of(client, worked)
    ack = client.post(f"/api/v1/assignments/{first['id']}/acknowledge", json={},
                      headers=as_(client, "haidian-zgc"))  # fmt: skip
    assert ack.status_code == 200, ack.text
    rules.create(deps, ADMIN, rules.RuleDraft(Rule("R-ZGC-NOISE", "D-ZGC", "010101", "110108001")))
    rules.create(deps, ADMIN, rules.RuleDraft(Rule("R-ZGC-CO", "B-TRAFFIC", "030101", "110108",
                                                   co=("D-ZGC", "D-JXS"))))  # fmt: skip
    preview = client.get("/api/v1/departments/D-ZGC/merge-preview", params={"into": "D-JXS"},
                         headers=as_(client, "dispatcher")).json()  # fmt: skip
    assert preview == {"code": "D-ZGC", "into": "D-JXS", "open_assignments": 2,
                       "rules": ["R-ZGC-NOISE", "R-ZGC-CO"]}  # fmt: skip
    before = len(published(client))
    clock.now += timedelta(minutes=10)

    merged = client.post("/api/v1/departments/D-ZGC/merge", json={"into": "D-JXS"},
                         headers=as_(client, "admin"))  # fmt: skip
    assert merged.status_code == 200, merged.text
    assert (
        merged.json()["rules"] == ["R-ZGC-NOISE", "R-ZGC-CO"] and len(merged.json()["moved"]) == 2
    )

    old, new = sorted(assignments_of(client, worked), key=lambda a: a["attempt"])
    assert (old["department_code"], old["status"]) == ("D-ZGC", "returned")
    assert (new["department_code"], new["status"]) == ("D-JXS", "acknowledged")
    assert new["acknowledged_by"] == "haidian-zgc" and new["dispatched_at"] == old["dispatched_at"]
    for name in ("contact", "resolve"):
        assert new["clocks"][name]["due_at"] == old["clocks"][name]["due_at"]
        assert new["clocks"][name]["state"] == "running"
    mine = {"status": "open"}
    inbox = client.get("/api/v1/assignments", params=mine, headers=as_(client, "chaoyang-jxs"))
    assert {worked, fresh} <= {a["ticket_id"] for a in inbox.json()}
    gone = client.get("/api/v1/assignments", params=mine, headers=as_(client, "haidian-zgc"))
    assert gone.json() == []

    events = [(e["type"], e["payload"].get("department_code")) for e in published(client)[before:]
              if e["ticket_id"] == worked]  # fmt: skip
    assert events == [("AssignmentReturned", "D-ZGC"), ("AssignmentDispatched", "D-JXS"),
                      ("AssignmentAcknowledged", "D-JXS")]  # fmt: skip
    with deps.uow() as u:
        assert u.rules.get("R-ZGC-NOISE")["department"] == "D-JXS"  # type: ignore[index]
        co = u.rules.get("R-ZGC-CO")["co"]  # type: ignore[index]
    assert (json.loads(co) if isinstance(co, str) else co) == ["D-JXS"]
    listed = overview(client)
    assert listed["D-ZGC"]["merged_into"] == "D-JXS" and listed["D-ZGC"]["territory"] == []
    assert "110108001" in listed["D-JXS"]["territory"] and listed["D-JXS"]["open_assignments"] >= 2
    audits = [(e["payload"]["kind"], e["payload"]["key"], e["payload"]["action"])
              for e in published(client)[before:]
              if e["type"] == "ConfigurationChanged"]  # fmt: skip
    assert audits == [
        ("routing_rule", "R-ZGC-NOISE", "change"),
        ("routing_rule", "R-ZGC-CO", "change"),
        ("department", "D-ZGC", "merge"),
        ("department", "D-JXS", "change"),
    ]

    # A's old tickets stay readable; A takes no new work, by routing or by hand.
    later = new_ticket(client, number="2611300203", **ZGC_PLACE)
    assert [a["department_code"] for a in assignments_of(client, later)] == ["D-JXS"]
    review = new_ticket(client, number="2611300204", area_code=None, area_path=[])
    by_hand = client.post(f"/api/v1/tickets/{review}/dispatch", json={"department_code": "D-ZGC"},
                          headers=as_(client, "dispatcher"))  # fmt: skip
    assert by_hand.status_code == 422
    again = client.post("/api/v1/departments/D-ZGC/merge", json={"into": "D-JXS"},
                        headers=as_(client, "admin"))  # fmt: skip
    assert again.status_code == 409 and "D-JXS" in again.json()["detail"]
    assert client.patch("/api/v1/departments/D-ZGC", json={"name": "x"},
                        headers=as_(client, "admin")).status_code == 409  # fmt: skip


def test_a_change_kept_for_a_date_is_applied_then_and_audited_with_it(
    client: TestClient, clock: Clock
) -> None:
    at = clock.now + timedelta(days=1)
    body = {"name": "朝阳区新城街道办事处（更名）", "effective_at": at.isoformat()}
    kept = client.patch("/api/v1/departments/D-NEW", json=body, headers=as_(client, "admin"))
    assert kept.status_code == 202, kept.text
    pending = client.get("/api/v1/scheduled-changes", params={"kind": "department"},
                         headers=as_(client, "dispatcher")).json()  # fmt: skip
    assert [p["payload"]["name"] for p in pending] == [body["name"]]
    # What cannot be done now is refused now, and nothing is kept.
    doomed = {"into": "D-ZGC", "effective_at": at.isoformat()}  # merged away already
    refused = client.post(
        "/api/v1/departments/D-NEW/merge", json=doomed, headers=as_(client, "admin")
    )
    assert refused.status_code == 409
    assert overview(client)["D-NEW"]["merged_into"] is None
    appliers = {"department": departments.apply_scheduled}
    deps = deps_of(client)
    assert (
        scheduled.apply_due(deps.uow, scheduled_changes, appliers, lambda: at - timedelta(1)) == 0
    )
    assert overview(client)["D-NEW"]["name"] == "朝阳区新城街道办事处"
    assert scheduled.apply_due(deps.uow, scheduled_changes, appliers, lambda: at) == 1
    assert overview(client)["D-NEW"]["name"] == body["name"]
    schedule, applied = [e["payload"] for e in published(client, "department")][-2:]
    assert (schedule["action"], applied["action"]) == ("schedule", "change")
    assert applied["effective_at"] == schedule["effective_at"] is not None


def test_a_calendar_import_is_an_audit_event_with_before_and_after(client: TestClient) -> None:
    january = [f"2027-01-{d:02d}" for d in range(1, 14)]
    body = {"holidays": january, "workdays": ["2027-02-20"], "note": "test"}
    done = client.put("/api/v1/calendar/2027", json=body, headers=as_(client, "admin"))
    assert done.status_code == 200, done.text
    [audit] = [e["payload"] for e in published(client, "calendar")]
    assert (audit["key"], audit["action"], audit["before"]) == ("2027", "import", None)
    assert audit["after"]["holidays"] == january and audit["after"]["workdays"] == ["2027-02-20"]
