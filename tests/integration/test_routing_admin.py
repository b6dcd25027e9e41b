"""The routing-rules editor on PostgreSQL: "where would this call go?" answers as dispatch
then routes, shadowed and contradicting rules are found, every change is an audit event in
the outbox, a change kept for a later date applies when due, and bad or unauthorised
requests are refused with nothing changed."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from proto.audit import ConfigurationChanged
from services.common.messaging_tables import outbox_table
from services.common.settings import Settings
from services.dispatch.adapters.orm import metadata
from services.dispatch.bootstrap import build
from services.dispatch.config import DispatchSettings
from services.dispatch.handlers import consumers
from services.dispatch.handlers.context import DispatchContext
from tests.support import peers
from tests.support.dispatch import envelope, ticket_created
from tests.support.harness import PASSWORDS

pytestmark = pytest.mark.peers

STREET = "110105001001"  # 永安里社区, 建外街道 (D-JXS), 朝阳区 (G-CY)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class Desk:
    def __init__(self, client: TestClient, clock: Clock) -> None:
        self.client, self.clock = client, clock
        self.tokens: dict[str, str] = {}

    @property
    def deps(self) -> DispatchContext:
        deps: DispatchContext = self.client.app.state.deps  # type: ignore[attr-defined]
        return deps

    def headers(self, user: str, lang: str = "zh-CN") -> dict[str, str]:
        if user not in self.tokens:
            form = {"username": user, "password": PASSWORDS[user]}
            token = self.client.post("/api/v1/auth/token", data=form).json()["access_token"]
            self.tokens[user] = token
        return {"Authorization": f"Bearer {self.tokens[user]}", "Accept-Language": lang}

    def call(self, method: str, user: str, path: str, body: Any = None, lang: str = "zh-CN") -> Any:
        return self.client.request(method, path, json=body, headers=self.headers(user, lang))

    def preview(self, user: str, **body: Any) -> Any:
        return self.call("POST", user, "/api/v1/routing/preview", body)

    def new_ticket(self, **changes: Any) -> str:
        """Consumes a TicketCreated in its own transaction, as dispatch's consumer does."""
        event = ticket_created(**changes)
        env = envelope(event)
        with self.deps.uow() as u:
            consumers.on_ticket_created(self.deps, u, env, event)
            u.commit()
        return env.ticket_id

    def routed(self, ticket_id: str) -> set[tuple[str, str, str]]:
        rows = self.call("GET", "dispatcher", f"/api/v1/assignments?ticket_id={ticket_id}").json()
        return {(a["department_code"], a["role"], a["rule"]) for a in rows}

    def audited(self, key: str) -> list[dict[str, Any]]:
        outbox = outbox_table(metadata)
        with self.deps.uow() as u:
            query = select(outbox.c.payload).order_by(outbox.c.id)
            rows = [json.loads(p) for p in u.session.scalars(query)]
        found = [r["payload"] for r in rows if r["type"] == ConfigurationChanged.TYPE]
        return [p for p in found if p["kind"] == "routing_rule" and p["key"] == key]


@pytest.fixture(scope="module")
def desk(postgres: peers.Peer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    name = f"dispatch_{uuid.uuid4().hex[:8]}"
    peers.create_databases(postgres, (name,))
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("routing-admin"),
        database_url=postgres.url.replace("{db}", name),
    )
    clock = Clock()
    with TestClient(build(settings, DispatchSettings(scheduler=False), now=clock)) as client:
        yield Desk(client, clock)


def test_the_preview_answers_as_dispatch_then_routes(desk: Desk) -> None:
    by_rule = desk.preview("dispatcher", category="030102", area=STREET)
    assert by_rule.status_code == 200, by_rule.text
    answer = by_rule.json()
    assert (answer["outcome"], answer["rule_id"], answer["route"]) == (
        "rule",
        "R-ROAD-CY",
        "rule:R-ROAD-CY",
    )
    assert (answer["category_prefix"], answer["area_prefix"]) == ("030102", "110105")
    assert answer["lead"]["code"] == "B-TRAFFIC" and [d["code"] for d in answer["co"]] == ["G-CY"]
    assert desk.routed(desk.new_ticket(category_code="030102")) == {
        ("B-TRAFFIC", "lead", "rule:R-ROAD-CY"),
        ("G-CY", "co", "rule:R-ROAD-CY"),
    }
    by_place = desk.preview("admin", category="010101", area=STREET).json()
    assert (by_place["outcome"], by_place["area_prefix"], by_place["lead"]["code"]) == (
        "territory",
        "110105001",
        "D-JXS",
    )
    assert desk.routed(desk.new_ticket()) == {("D-JXS", "lead", "territory:street")}
    nowhere = desk.preview("dispatcher", category="010101").json()
    assert (nowhere["outcome"], nowhere["reason"]) == ("review", "no_location")
    queued = desk.new_ticket(area_code=None, area_path=[])
    review = desk.call("GET", "dispatcher", "/api/v1/review-queue").json()
    assert queued in {t["id"] for t in review} and desk.routed(queued) == set()


def test_the_department_of_each_suggested_category_is_the_routers_answer(desk: Desk) -> None:
    codes = [
        "030102",
        "010101",
        "990101",
    ]  # by a rule, by the street's office, not in the catalogue
    names = {d["code"]: d["name"] for d in desk.call("GET", "agent1", "/api/v1/departments").json()}
    for user in ("agent1", "dispatcher", "admin"):
        asked = {"area_code": STREET, "category_codes": codes}
        answer = desk.call("POST", user, "/api/v1/routing/departments", asked)
        assert answer.status_code == 200, answer.text
        found = [(a["category_code"], a["department_code"]) for a in answer.json()]
        assert found == [("030102", "B-TRAFFIC"), ("010101", "D-JXS"), ("990101", "D-JXS")]
        assert all(a["department_name"] == names[a["department_code"]] for a in answer.json())
    for code in codes:  # and so says the preview, which says what dispatch then does
        lead = desk.preview("dispatcher", category=code, area=STREET).json()["lead"]["code"]
        assert (code, lead) in found
    for area in (None, "999999"):  # no place, or one no office covers: a dispatcher decides
        asked = {"area_code": area, "category_codes": ["010101"]}
        answer = desk.call("POST", "agent1", "/api/v1/routing/departments", asked).json()
        assert answer == [
            {"category_code": "010101", "department_code": None, "department_name": None}
        ]


def test_bad_or_unauthorised_department_questions_are_refused(desk: Desk) -> None:
    path = "/api/v1/routing/departments"
    bad = {"area_code": "1", "category_codes": ["ab"]}
    zh, en = (desk.call("POST", "agent1", path, bad, lang=lang) for lang in ("zh-CN", "en"))
    assert zh.status_code == en.status_code == 422
    assert zh.headers["content-type"] == "application/problem+json"
    assert {e["field"] for e in zh.json()["errors"]} == {"area_code", "category_codes.0"}
    assert zh.json()["errors"][0]["message"] != en.json()["errors"][0]["message"]
    too_many = {"area_code": STREET, "category_codes": ["010101"] * 11}
    # Digits, but not ASCII ones: full-width and Arabic-Indic.
    wide = {"area_code": "１１０１０５００１００１", "category_codes": ["٠١٠١٠١"]}
    for body in (too_many, wide, {"area_code": STREET}, {"category_codes": [], "extra": 1}):
        assert desk.call("POST", "agent1", path, body).status_code == 422, body
    for user in ("leader", "chaoyang-jxs"):
        asked = {"area_code": STREET, "category_codes": ["010101"]}
        assert desk.call("POST", user, path, asked).status_code == 403


def test_a_draft_is_previewed_without_touching_the_saved_rules(desk: Desk) -> None:
    draft = [{"id": "R-GAS", "department": "U-GAS", "category": "0101", "area": "110105"}]
    answer = desk.preview("dispatcher", category="010101", area=STREET, rules=draft).json()
    assert (answer["rule_id"], answer["lead"]["code"], answer["draft"]) == ("R-GAS", "U-GAS", True)
    saved = desk.preview("dispatcher", category="010101", area=STREET).json()
    assert (saved["outcome"], saved["draft"]) == ("territory", False)
    # Codes are ASCII digits: full-width ones are refused, not read as no match.
    wide = desk.preview("dispatcher", category="０１０１０１", area=STREET)
    assert wide.status_code == 422 and wide.json()["errors"][0]["field"] == "category"


def test_shadowed_and_contradicting_rules_are_found(desk: Desk) -> None:
    assert desk.call("GET", "dispatcher", "/api/v1/routing-rules/problems").json() == []
    # Saving a rule that can never match is allowed; the problems say why.
    rule = {"id": "R-LATE", "department": "G-CY", "category": "020101", "area": "110105"}
    assert desk.call("POST", "admin", "/api/v1/routing-rules", rule).status_code == 201
    [found] = desk.call("GET", "dispatcher", "/api/v1/routing-rules/problems", lang="en").json()
    assert (found["kind"], found["rule"], found["other"]) == ("shadowed", "R-LATE", "R-WATER")
    assert "R-WATER" in found["message"] and "can never match" in found["message"]
    draft = [
        {"id": "R-A", "department": "B-TRAFFIC", "category": "030102", "area": "110105"},
        {"id": "R-B", "department": "G-CY", "category": "030102", "area": "110105"},
    ]
    checked = desk.call("POST", "dispatcher", "/api/v1/routing-rules/check", {"rules": draft})
    kinds = {(p["kind"], p["rule"], p["other"]) for p in checked.json()}
    assert kinds == {("shadowed", "R-B", "R-A"), ("contradicts", "R-B", "R-A")}
    assert (
        "不同的承办单位" in next(p for p in checked.json() if p["kind"] == "contradicts")["message"]
    )
    assert desk.call("DELETE", "admin", "/api/v1/routing-rules/R-LATE").status_code == 204


def test_every_change_is_an_audit_event_in_the_outbox_and_in_the_history(desk: Desk) -> None:
    rule = {"id": "R-AUDIT", "department": "B-URBAN", "category": "010102", "area": "110105"}
    assert desk.call("POST", "admin", "/api/v1/routing-rules", rule).status_code == 201
    changed = rule | {"department": "U-GAS", "co": ["G-CY"]}
    del changed["id"]
    assert desk.call("PUT", "admin", "/api/v1/routing-rules/R-AUDIT", changed).status_code == 200
    moved = desk.call("POST", "admin", "/api/v1/routing-rules/R-AUDIT/move", {"position": 0})
    assert moved.status_code == 200 and moved.json()["position"] == 0
    assert desk.routed(desk.new_ticket(category_code="010102")) == {
        ("U-GAS", "lead", "rule:R-AUDIT"),
        ("G-CY", "co", "rule:R-AUDIT"),
    }
    assert desk.call("DELETE", "admin", "/api/v1/routing-rules/R-AUDIT").status_code == 204
    events = desk.audited("R-AUDIT")
    assert [e["action"] for e in events] == ["create", "change", "move", "delete"]
    create, change, move, delete = events
    assert create["before"] is None and create["after"]["department"] == "B-URBAN"
    assert (change["before"]["department"], change["after"]["co"]) == ("B-URBAN", ["G-CY"])
    assert move["after"]["position"] == 0 and move["before"]["position"] > 0
    assert delete["after"] is None and delete["by"] == "admin"
    assert delete["summary"] == "规则 R-AUDIT：010102 × 110105 → U-GAS（协办 G-CY）"
    history = desk.call("GET", "dispatcher", "/api/v1/routing-rules/history?rule_id=R-AUDIT")
    assert [h["action"] for h in history.json()] == ["delete", "move", "change", "create"]
    assert history.json()[2]["after"]["co"] == ["G-CY"]


def test_a_scheduled_rule_applies_when_due_and_a_cancelled_one_never(desk: Desk) -> None:
    later = desk.clock.now + timedelta(hours=1)
    rule = {"id": "R-LATER", "department": "U-GAS", "category": "010103", "position": 0}
    kept = desk.call(
        "POST", "admin", "/api/v1/routing-rules", rule | {"effective_at": later.isoformat()}
    )
    assert kept.status_code == 202, kept.text
    assert kept.json()["key"] == "R-LATER"
    when = quote(later.isoformat())
    dropped = desk.call("DELETE", "admin", f"/api/v1/routing-rules/R-ROAD-CY?effective_at={when}")
    assert dropped.status_code == 202
    cancel = f"/api/v1/scheduled-changes/{dropped.json()['id']}"
    assert desk.call("DELETE", "admin", cancel).status_code == 204
    pending = desk.call("GET", "dispatcher", "/api/v1/scheduled-changes?kind=routing_rule").json()
    assert [p["key"] for p in pending] == ["R-LATER"]
    assert (
        desk.preview("dispatcher", category="010103", area=STREET).json()["outcome"] == "territory"
    )
    desk.clock.now = later + timedelta(seconds=1)
    deadline = time.monotonic() + 10
    while desk.call("GET", "dispatcher", "/api/v1/scheduled-changes?kind=routing_rule").json():
        assert time.monotonic() < deadline, "the scheduled rule was not applied"
        time.sleep(0.2)
    assert desk.routed(desk.new_ticket(category_code="010103")) == {
        ("U-GAS", "lead", "rule:R-LATER")
    }
    applied = [e for e in desk.audited("R-LATER") if e["action"] == "create"]
    assert applied[0]["effective_at"].startswith(later.strftime("%Y-%m-%dT%H:%M"))
    rules = desk.call("GET", "dispatcher", "/api/v1/routing-rules").json()
    assert rules[0]["id"] == "R-LATER" and "R-ROAD-CY" in {r["id"] for r in rules}


def test_bad_and_unauthorised_requests_are_refused_with_nothing_changed(desk: Desk) -> None:
    before = desk.call("GET", "dispatcher", "/api/v1/routing-rules").json()
    bad = desk.preview("dispatcher", category="ab", area="1")
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    assert {e["field"] for e in bad.json()["errors"]} == {"category", "area"}
    unknown = [{"id": "R-X", "department": "NO-SUCH", "category": "01"}]
    refused = desk.call("POST", "dispatcher", "/api/v1/routing/preview",
                        {"category": "010101", "rules": unknown}, lang="en")  # fmt: skip
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "rules.0.department"
    assert "NO-SUCH" in refused.json()["errors"][0]["message"]
    twice = [{"id": "R-X", "department": "G-CY", "area": "110105"}] * 2
    doubled = desk.call("POST", "dispatcher", "/api/v1/routing-rules/check", {"rules": twice})
    assert doubled.status_code == 422 and doubled.json()["errors"][0]["field"] == "rules.1.id"
    past = (desk.clock.now - timedelta(minutes=1)).isoformat()
    late = {"id": "R-PAST", "department": "G-CY", "area": "110105", "effective_at": past}
    assert desk.call("POST", "admin", "/api/v1/routing-rules", late).status_code == 422
    assert (
        desk.call("POST", "admin", "/api/v1/routing-rules/R-NOPE/move", {"position": 1}).status_code
        == 404
    )
    assert (
        desk.call(
            "POST", "admin", "/api/v1/routing-rules/R-WATER/move", {"position": -1}
        ).status_code
        == 422
    )
    for user, method, path in (
        ("leader", "POST", "/api/v1/routing/preview"),
        ("agent1", "GET", "/api/v1/routing-rules/problems"),
        ("chaoyang-jxs", "POST", "/api/v1/routing-rules/check"),
        ("dispatcher", "POST", "/api/v1/routing-rules/R-WATER/move"),
        ("dispatcher", "POST", "/api/v1/routing-rules"),
        ("dispatcher", "DELETE", "/api/v1/routing-rules/R-WATER"),
    ):
        answer = desk.call(method, user, path, {"position": 0, "category": "01", "rules": []})
        assert answer.status_code == 403, (user, path, answer.text)
    assert desk.call("GET", "dispatcher", "/api/v1/routing-rules").json() == before
