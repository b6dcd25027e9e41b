"""The audit log in the search service as its bootstrap builds it: configuration changes and
personal-data accesses published on `hotline.audit` become searchable entries with their
before/after, filtered and paged newest first, kept once however often they are delivered,
rebuilt from the topic, read by leaders and admins only; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select

from proto.audit import ConfigurationChanged, PersonalDataAccessed
from proto.envelope import Envelope
from services.common.db import uow_factory
from services.common.settings import Settings
from services.intake.bootstrap import build as build_intake
from services.search.adapters.audit import AuditUnitOfWork
from services.search.adapters.index import TIME_ZONE
from services.search.adapters.orm import audit_log, metadata
from services.search.bootstrap import build
from services.search.handlers import audit
from services.search.tools.rebuild import rebuild
from tests.support import peers
from tests.support.dispatch import put_on_bus
from tests.support.harness import PASSWORDS, drain, driven
from tests.support.intake import IntakeApi

NOW = datetime.now(UTC).replace(microsecond=0)
PHONE = "13855550177"
RULE_BEFORE = {
    "id": "R12", "category_code": "0301", "area_code": "110105",
    "department": {"code": "D-JXS", "name": "建外街道"}, "priority": 10, "tags": ["水务"],
}  # fmt: skip
RULE_AFTER = RULE_BEFORE | {
    "department": {"code": "D-CG", "name": "朝阳区城管委"}, "priority": 20, "note": "汛期",
}  # fmt: skip


def changed(subject: str, producer: str, **fields: Any) -> Envelope:
    event = ConfigurationChanged(**fields)
    return Envelope.wrap(event, producer=producer, ticket_id=subject)


def accessed(**fields: Any) -> Envelope:
    event = PersonalDataAccessed(**fields)
    return Envelope.wrap(event, producer="intake", ticket_id=f"privacy:{fields['action']}")


ENVELOPES = [
    changed(
        "config:routing_rule", "dispatch", kind="routing_rule", key="R12", action="change",
        version=3, before=RULE_BEFORE, after=RULE_AFTER, summary="规则 R12：0301 × 110105 → D-CG",
        by="admin", at=NOW - timedelta(days=2),
    ),
    changed(
        "config:category", "intake", kind="category", key="0301", action="create", version=7,
        after={"code": "0301", "name": "供水", "parent": "03"}, summary="新增分类 0301 供水",
        by="admin2", at=NOW - timedelta(days=1),
    ),
    changed(
        "config:routing_rule", "dispatch", kind="routing_rule", key="R7", action="retire",
        before={"id": "R7", "department": {"code": "D-HD"}}, summary="停用规则 R7",
        by="admin", at=NOW - timedelta(hours=5),
    ),
    accessed(
        action="reveal", outcome="revealed", reason="回访核实", ticket_id="tk-1",
        ticket_number="2612030001", by="agent1", at=NOW - timedelta(hours=3),
    ),
    accessed(
        action="reveal", outcome="refused", reason="", ticket_id="tk-2",
        ticket_number="2612030002", by="dept1", at=NOW - timedelta(hours=1),
    ),
]  # fmt: skip
RULE_CHANGE, CATEGORY, RETIRED, REVEALED, REFUSED = (e.event_id for e in ENVELOPES)


def headers(client: TestClient, user: str, lang: str = "zh-CN") -> dict[str, str]:
    form = {"username": user, "password": PASSWORDS[user]}
    token = client.post("/api/v1/auth/token", data=form).json()["access_token"]
    return {"Authorization": f"Bearer {token}", "Accept-Language": lang}


def publish(client: TestClient, envelopes: list[Envelope]) -> None:
    put_on_bus(client.app.state.platform.bus, *envelopes)  # type: ignore[attr-defined]
    drain(client.app)  # type: ignore[arg-type]


def ids(client: TestClient, who: dict[str, str], **params: Any) -> list[str]:
    found = client.get("/api/v1/audit", params=params, headers=who)
    assert found.status_code == 200, found.text
    return [entry["id"] for entry in found.json()["entries"]]


def count(client: TestClient) -> int:
    engine = client.app.state.platform.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("audit"))


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(driven(build(settings))) as test_client:
        publish(test_client, ENVELOPES)
        yield test_client


def test_every_audit_event_becomes_an_entry_newest_first_with_before_and_after(
    client: TestClient,
) -> None:
    leader = headers(client, "leader")
    page = client.get("/api/v1/audit", headers=leader).json()
    assert page["total"] == 5 and page["next"] is None
    assert [e["id"] for e in page["entries"]] == [REFUSED, REVEALED, RETIRED, CATEGORY, RULE_CHANGE]
    rule = client.get(f"/api/v1/audit/{RULE_CHANGE}", headers=leader).json()
    assert rule == {
        "id": RULE_CHANGE, "type": "configuration", "kind": "routing_rule", "key": "R12",
        "action": "change", "by": "admin", "at": (NOW - timedelta(days=2)).isoformat(),
        "summary": "规则 R12：0301 × 110105 → D-CG", "version": 3, "effective_at": None,
        "before": RULE_BEFORE, "after": RULE_AFTER, "outcome": None, "reason": None,
        "ticket_id": None, "ticket_number": None, "producer": "dispatch",
    }  # fmt: skip
    assert page["entries"][4] == rule


def test_a_personal_data_access_names_ticket_action_outcome_reason_and_who_but_no_number(
    client: TestClient,
) -> None:
    entry = client.get(f"/api/v1/audit/{REVEALED}", headers=headers(client, "admin")).json()
    assert {k: v for k, v in entry.items() if v is not None} == {
        "id": REVEALED, "type": "personal_data", "kind": "personal_data", "key": "2612030001",
        "action": "reveal", "outcome": "revealed", "reason": "回访核实", "ticket_id": "tk-1",
        "ticket_number": "2612030001", "by": "agent1",
        "at": (NOW - timedelta(hours=3)).isoformat(), "summary": "", "producer": "intake",
    }  # fmt: skip
    assert not re.search(r"1[3-9]\d{9}", json.dumps(entry))


def test_text_search_finds_summary_key_account_and_values_before_and_after(
    client: TestClient,
) -> None:
    leader = headers(client, "leader")
    assert ids(client, leader, q="城管委") == [RULE_CHANGE]  # a nested value after
    assert ids(client, leader, q="d-hd") == [RETIRED]  # a value before, any case
    assert ids(client, leader, q="供水") == [CATEGORY]  # summary and value
    assert ids(client, leader, q="admin2") == [CATEGORY]
    assert ids(client, leader, q="2612030001") == [REVEALED]
    assert ids(client, leader, q="回访") == [REVEALED]
    assert ids(client, leader, q="R12 汛期") == [RULE_CHANGE]  # every word must be found
    assert ids(client, leader, q="R12 供水") == []
    assert ids(client, leader, q="priority") == []  # field names are not searched
    assert ids(client, leader, q="50%_") == []  # LIKE's wildcards are plain characters


def test_filters_by_kind_key_account_action_and_dates(client: TestClient) -> None:
    leader = headers(client, "leader")
    assert ids(client, leader, kind="routing_rule") == [RETIRED, RULE_CHANGE]
    assert ids(client, leader, kind="routing_rule", key="R12") == [RULE_CHANGE]
    assert ids(client, leader, kind="personal_data") == [REFUSED, REVEALED]
    assert ids(client, leader, by="admin") == [RETIRED, RULE_CHANGE]
    assert ids(client, leader, action="reveal", by="agent1") == [REVEALED]
    assert ids(client, leader, kind="", key="") == [
        REFUSED,
        REVEALED,
        RETIRED,
        CATEGORY,
        RULE_CHANGE,
    ]
    since = ids(client, leader, **{"from": (NOW - timedelta(hours=6)).isoformat()})
    assert since == [REFUSED, REVEALED, RETIRED]
    # Days are Beijing days, the last one included; the other entries are a day or more later.
    day = str((NOW - timedelta(days=2)).astimezone(TIME_ZONE).date())
    assert ids(client, leader, **{"from": day, "to": day}) == [RULE_CHANGE]
    assert ids(client, leader, to=day) == [RULE_CHANGE]


def test_pages_continue_with_the_cursor_newest_first(client: TestClient) -> None:
    leader = headers(client, "leader")
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = client.get("/api/v1/audit", params=params, headers=leader).json()
        assert page["total"] == 5 and len(page["entries"]) <= 2
        seen += [e["id"] for e in page["entries"]]
        if page["next"] is None:
            break
        params["after"] = page["next"]
    assert seen == [REFUSED, REVEALED, RETIRED, CATEGORY, RULE_CHANGE]


def test_bad_parameters_are_named_in_the_callers_language(client: TestClient) -> None:
    zh, en = headers(client, "leader"), headers(client, "leader", "en")
    bad = client.get("/api/v1/audit", params={"after": "not-a-cursor"}, headers=zh)
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["errors"][0]["field"] == "after" and "游标" in bad.json()["detail"]
    late = client.get(
        "/api/v1/audit", params={"from": "2026-12-31", "to": "2026-01-01"}, headers=en
    )
    assert (
        late.status_code == 422 and late.json()["detail"] == "The end date is before the start date"
    )
    day = client.get("/api/v1/audit", params={"from": "31/12/2026"}, headers=en)
    assert day.status_code == 422 and day.json()["errors"][0]["field"] == "from"
    kind = client.get("/api/v1/audit", params={"kind": "Rule;drop"}, headers=en)
    assert kind.status_code == 422
    missing = client.get("/api/v1/audit/no-such-entry", headers=zh)
    assert (
        missing.status_code == 404 and missing.json()["detail"] == "审计记录 no-such-entry 不存在"
    )


def test_only_leaders_and_admins_read_the_audit_log(client: TestClient) -> None:
    for user in ("agent1", "dispatcher", "chaoyang-jxs"):
        who = headers(client, user)
        assert client.get("/api/v1/audit", headers=who).status_code == 403, user
        assert client.get(f"/api/v1/audit/{REVEALED}", headers=who).status_code == 403, user
    client.cookies.clear()  # signing in above left a session cookie
    assert client.get("/api/v1/audit").status_code == 401
    assert client.get("/api/v1/audit", headers=headers(client, "admin")).status_code == 200


def test_a_redelivered_or_replayed_event_changes_nothing(client: TestClient) -> None:
    before = count(client)
    publish(client, ENVELOPES[:2])  # the inbox knows them
    assert count(client) == before
    # Past the inbox (a replay by a new group), the event id as key keeps one entry.
    engine = client.app.state.platform.engine  # type: ignore[attr-defined]
    units = uow_factory(engine, metadata, "search", AuditUnitOfWork)
    for envelope in ENVELOPES[:2]:
        with units() as unit:
            event = ConfigurationChanged.model_validate(envelope.payload)
            audit.on_event(unit, envelope, event)
            unit.commit()
    assert count(client) == before


def test_the_rebuild_restores_lost_entries_from_the_topic(
    client: TestClient, settings: Settings
) -> None:
    engine = client.app.state.platform.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.execute(delete(audit_log).where(audit_log.c.event_id.in_([RULE_CHANGE, REVEALED])))
    report = rebuild(settings, poll_seconds=0.25)
    assert report.audit_entries == 2 and report.skipped == 0
    leader = headers(client, "leader")
    assert ids(client, leader) == [REFUSED, REVEALED, RETIRED, CATEGORY, RULE_CHANGE]
    again = rebuild(settings, poll_seconds=0.25)
    assert again.audit_entries == 0 and count(client) == 5


@pytest.mark.peers
def test_the_audit_log_on_postgresql(postgres: peers.Peer, tmp_path: Path) -> None:
    name = f"search_{uuid.uuid4().hex[:8]}"
    peers.create_databases(postgres, (name,))
    url = postgres.url.replace("{db}", name)
    settings = Settings(data_dir=tmp_path, database_url=url)
    with TestClient(driven(build(settings))) as client:
        publish(client, ENVELOPES)
        publish(client, ENVELOPES)
        assert count(client) == 5
        leader = headers(client, "leader")
        assert ids(client, leader, q="城管委") == [RULE_CHANGE]
        assert ids(client, leader, q="D-HD") == [RETIRED]
        assert ids(client, leader, kind="routing_rule", key="R12") == [RULE_CHANGE]
        assert ids(client, leader, limit=1, after=_cursor(client, leader)) == [REVEALED]
        entry = client.get(f"/api/v1/audit/{RULE_CHANGE}", headers=leader).json()
        assert (entry["before"], entry["after"]) == (RULE_BEFORE, RULE_AFTER)
        engine = client.app.state.platform.engine  # type: ignore[attr-defined]
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def _cursor(client: TestClient, who: dict[str, str]) -> str:
    found: str = client.get("/api/v1/audit", params={"limit": 1}, headers=who).json()["next"]
    return found


def test_intakes_reveals_and_catalogue_changes_reach_the_audit_log_over_the_bus(
    settings: Settings, client: TestClient
) -> None:
    """Real producers: intake writes a reveal or a catalogue change and its event in one
    transaction; its relay publishes it on the shared embedded bus, search keeps it."""
    with TestClient(driven(build_intake(settings))) as intake_client:
        intake = IntakeApi(intake_client)
        ticket = intake.call(caller_phone=PHONE).json()
        assert intake.get(f"/api/v1/calls/{ticket['call_id']}/phone").json() == {"phone": PHONE}
        refused = intake.get(f"/api/v1/calls/{ticket['call_id']}/phone", user="agent2")
        assert refused.status_code == 403
        made = {"code": "010111", "name": "共享单车乱停", "parent": "0101", "keywords": ["单车"]}
        assert intake.send("POST", "/api/v1/categories", json=made).status_code == 201
        renamed = intake.send("PATCH", "/api/v1/categories/010111", json={"name": "共享单车停放"})
        assert renamed.is_success, renamed.text
        drain(intake_client.app, client.app)  # type: ignore[arg-type]
    leader = headers(client, "leader")
    found = client.get("/api/v1/audit", params={"key": ticket["number"]}, headers=leader).json()
    shown = [(e["kind"], e["action"], e["outcome"], e["by"]) for e in found["entries"]]
    assert shown == [
        ("personal_data", "reveal", "refused", "agent2"),
        ("personal_data", "reveal", "revealed", "agent1"),
    ]
    assert {(e["ticket_id"], e["producer"]) for e in found["entries"]} == {(ticket["id"], "intake")}
    assert PHONE not in json.dumps(found) and ticket["caller_masked"] not in json.dumps(found)
    history = client.get(
        "/api/v1/audit", params={"kind": "category", "key": "010111"}, headers=leader
    ).json()["entries"]
    assert [(e["action"], e["by"]) for e in history] == [("change", "admin"), ("create", "admin")]
    change, create = history
    assert create["before"] is None and create["after"]["name"] == "共享单车乱停"
    assert (change["before"]["name"], change["after"]["name"]) == ("共享单车乱停", "共享单车停放")
    assert ids(client, leader, q="共享单车停放") == [change["id"]]
