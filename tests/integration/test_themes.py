"""Monthly themes and proactive tickets in the search service as its bootstrap builds it
(real SQLite files, the embedded bus): a theme's class, tasks, notes and before/after chart;
the dashboard's themes panel and proactive counts; proactive tickets out of the rates."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient

from benchmarks import search_corpus
from benchmarks.search_corpus import Story
from proto import assignments as a
from proto import feedback as f
from proto import tickets as t
from proto.envelope import Envelope
from services.common.db import make_engine
from services.common.migrations import upgrade
from services.common.settings import Settings
from services.search.adapters.index import TIME_ZONE
from services.search.adapters.orm import metadata
from services.search.bootstrap import build
from tests.support import peers
from tests.support.harness import PASSWORDS, drain, driven

NOW = datetime.now(UTC)
TODAY = NOW.astimezone(TIME_ZONE).date()
DEPARTMENT = ("D-JXS", "朝阳区建外街道办事处")
CLASS = {"category_code": "0101", "area_codes": ["110105001"]}


def story(ticket_id: str, start: datetime, *, proactive: bool, rated: bool) -> list[Envelope]:
    """A ticket of 010102 in 永安里 (建外街道), dispatched, resolved in time and, if asked,
    rated solved and satisfied."""
    told = Story(ticket_id, start)
    told.add(t.TicketCreated(
        number=f"9{ticket_id[-6:]}", channel="proactive" if proactive else "phone",
        request_type="help", category_code="010102",
        category_path=["城乡建设", "市容环境", "垃圾清运"], area_code="110105001001",
        area_path=["朝阳区", "建外街道", "永安里社区"], urgency="general",
        description="楼道堆放垃圾", has_phone=not proactive, created_by="dispatcher",
        created_at=start, source="theme:th-1" if proactive else "",
    ), "intake", timedelta(0))  # fmt: skip
    aid, (code, name) = f"as-{ticket_id}", DEPARTMENT
    told.add(a.AssignmentDispatched(
        assignment_id=aid, department_code=code, department_name=name, rule="territory:street",
        dispatched_at=start, deadlines={"resolve": start + timedelta(days=3)},
    ), "dispatch", timedelta(seconds=1))  # fmt: skip
    told.add(a.AssignmentResolved(
        assignment_id=aid, department_code=code, department_name=name, outcome="已清理",
        by="chaoyang-jxs", at=told.clock, dispatched_at=start, within_sla=True,
    ), "dispatch", timedelta(seconds=1))  # fmt: skip
    if rated:
        told.add(f.TicketRated(
            invitation_id=f"inv-{ticket_id}", department_code=code, contacted=True,
            solved=True, satisfaction="satisfied", via="link", by=None, at=told.clock,
            assignment_id=aid, contact_on_time=True,
        ), "feedback", timedelta(seconds=1))  # fmt: skip
    return told.events


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("themes"))
    app = driven(build(settings))
    with TestClient(app) as test_client:
        # Three tickets of the class three weeks ago, each rated.
        weeks_ago = NOW - timedelta(weeks=3)
        old = [story(f"old-{n:06}", weeks_ago, proactive=False, rated=True) for n in range(3)]
        publish(test_client, [e for told in old for e in told])
        yield test_client


def publish(client: TestClient, envelopes: list[Envelope]) -> None:
    publisher = client.app.state.platform.bus.publisher()  # type: ignore[attr-defined]
    publisher.publish(list(search_corpus.messages(iter(envelopes))))
    publisher.close()
    drain(client.app)  # type: ignore[arg-type]


def headers(client: TestClient, user: str, lang: str = "zh-CN") -> dict[str, str]:
    form = {"username": user, "password": PASSWORDS[user]}
    token = client.post("/api/v1/auth/token", data=form).json()["access_token"]
    return {"Authorization": f"Bearer {token}", "Accept-Language": lang}


def dashboard(client: TestClient, leader: dict[str, str]) -> dict[str, Any]:
    board = client.get("/api/v1/dashboard", params={"months": 3}, headers=leader)
    assert board.status_code == 200, board.text
    found: dict[str, Any] = board.json()
    return found


def test_a_theme_and_a_proactive_ticket_change_the_dashboard_exactly(client: TestClient) -> None:
    leader, dispatcher = headers(client, "leader"), headers(client, "dispatcher")
    before = dashboard(client, leader)
    assert before["themes"] == [] and before["proactive"]["created_this_month"] == 0
    body = {"title": "垃圾清运专项治理", "lead_department": "D-JXS",
            "co_departments": ["D-CYCG"], **CLASS}  # fmt: skip
    once = leader | {"Idempotency-Key": "theme-key-1"}
    made = client.post("/api/v1/themes", json=body, headers=once)
    again = client.post("/api/v1/themes", json=body, headers=once)
    assert made.status_code == again.status_code == 201, made.text
    theme = made.json()
    assert again.json()["id"] == theme["id"]
    assert [t["id"] for t in client.get("/api/v1/themes", headers=leader).json()] == [theme["id"]]
    assert (theme["status"], theme["starts_on"], theme["progress"]) == (
        "active", TODAY.isoformat(), {"tasks": 0, "done": 0, "overdue": 0},
    )  # fmt: skip
    weeks = theme["chart"]["weeks"]
    assert [w["phase"] for w in weeks] == ["before"] * 8 + ["since"]
    assert sum(w["tickets"] for w in weeks) == 3 and theme["chart"]["phases"]["before"] == {
        "weeks": 8, "tickets": 3, "weekly": 0.375, "rated": 3, "response_rate": 1.0,
        "resolution_rate": 1.0, "satisfaction_rate": 1.0, "sla_compliance": 1.0,
    }  # fmt: skip
    assert theme["volume"] == {"before_weekly": 0.375, "since_weekly": 0.0, "change": -1.0}
    # A task due yesterday is overdue until done; notes keep who and when.
    url = f"/api/v1/themes/{theme['id']}"
    task = {
        "department_code": "D-CYCG",
        "title": "清运车辆加班",
        "due_on": str(TODAY - timedelta(1)),
    }
    tasks = client.post(f"{url}/tasks", json=task, headers=leader).json()["tasks"]
    assert [(x["title"], x["overdue"]) for x in tasks] == [("清运车辆加班", True)]
    noted = client.post(f"{url}/notes", json={"text": "已约谈物业"}, headers=dispatcher).json()
    assert [(n["text"], n["by"]) for n in noted["notes"]] == [("已约谈物业", "dispatcher")]
    panel = dashboard(client, leader)["themes"]
    assert [(p["id"], p["progress"]) for p in panel] == [
        (theme["id"], {"tasks": 1, "done": 0, "overdue": 1})
    ]
    done = client.patch(f"{url}/tasks/{tasks[0]['id']}", json={"done": True}, headers=dispatcher)
    assert done.json()["progress"] == {"tasks": 1, "done": 1, "overdue": 0}
    # A proactive ticket of the class, resolved in time: the panel's volume, the proactive
    # counts and SLA compliance move; the three rates (only citizens' ratings) do not.
    publish(client, story("pro-000001", NOW - timedelta(minutes=1), proactive=True, rated=False))
    after = dashboard(client, leader)
    assert after["proactive"] == {
        "created_this_month": 1, "open": 0, "resolved_this_month": 1, "within_sla_this_month": 1,
    }  # fmt: skip
    assert after["themes"][0]["volume"]["since_weekly"] > 0
    assert after["departments"] == before["departments"]
    volume = {row["key"]: row["count"] for row in after["channels"]}
    assert volume["proactive"] == 1 and "proactive" not in {r["key"] for r in before["channels"]}
    found = client.get("/api/v1/search", params={"channel": "proactive"}, headers=dispatcher)
    assert [h["ticket_id"] for h in found.json()["hits"]] == ["pro-000001"]
    doc = client.get("/api/v1/tickets/pro-000001", headers=dispatcher).json()
    assert doc["source"] == "theme:th-1"
    assert doc["timeline"][0]["summary"].startswith("未诉先办")
    closed = client.patch(url, json={"status": "closed"}, headers=leader).json()
    assert closed["status"] == "closed" and dashboard(client, leader)["themes"] == []


def test_a_theme_from_a_hot_spot_and_bad_input(client: TestClient) -> None:
    leader = headers(client, "leader", "en")
    body = {"title": "热点", "hotspot_key": "010102@110105001", "lead_department": "D-JXS"}
    theme = client.post("/api/v1/themes", json=body, headers=leader).json()
    assert (theme["category_code"], theme["area_codes"], theme["source"]) == (
        "010102", ["110105001"], "hotspot:010102@110105001",
    )  # fmt: skip
    both = client.post("/api/v1/themes", json=body | CLASS, headers=leader)
    assert both.status_code == 422 and "hot spot" in both.json()["detail"]
    lead = client.post(
        "/api/v1/themes",
        json=body | {"co_departments": ["D-JXS"]},
        headers=headers(client, "leader"),
    )
    assert lead.status_code == 422 and lead.json()["detail"] == "牵头单位不能同时是配合单位"
    missing = client.get("/api/v1/themes/nope", headers=leader)
    assert missing.status_code == 404 and missing.json()["detail"] == "Theme nope not found"
    staff = client.post("/api/v1/themes", json=body, headers=headers(client, "dispatcher"))
    assert staff.status_code == 403


def test_the_migrated_schema_equals_the_tables_the_code_declares(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'search.db'}"
    upgrade("search", url)
    engine = make_engine(url)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    engine.dispose()


@pytest.mark.peers
def test_themes_on_postgresql(postgres: peers.Peer, tmp_path: Path) -> None:
    name = f"search_{uuid.uuid4().hex[:8]}"
    peers.create_databases(postgres, (name,))
    url = postgres.url.replace("{db}", name)
    settings = Settings(data_dir=tmp_path, database_url=url)
    with TestClient(driven(build(settings))) as client:
        leader = headers(client, "leader") | {"Idempotency-Key": "theme-on-postgres"}
        body = {"title": "停水专项", "lead_department": "D-JXS", **CLASS}
        made = client.post("/api/v1/themes", json=body, headers=leader)
        again = client.post("/api/v1/themes", json=body, headers=leader)
        assert made.status_code == again.status_code == 201, made.text
        assert again.json()["id"] == made.json()["id"]
        task = {"department_code": "D-JXS", "title": "排查管网", "due_on": str(TODAY)}
        url = f"/api/v1/themes/{made.json()['id']}/tasks"
        shown = client.post(url, json=task, headers=headers(client, "leader")).json()
        assert (shown["area_codes"], shown["progress"]) == (
            ["110105001"], {"tasks": 1, "done": 0, "overdue": 0},
        )  # fmt: skip
        engine = client.app.state.platform.engine  # type: ignore[attr-defined]
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
