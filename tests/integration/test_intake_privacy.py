"""Callers' personal data in intake: numbers erased after retention (the mask stays), a
caller's export and erasure on request, all recorded for the admin; rating links texted
through a gateway are not kept."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from proto.feedback import RatingRequested, TicketClosed
from services.common.sealed_links import LinkSeal
from services.common.settings import Settings
from services.intake.bootstrap import build
from services.intake.config import IntakeSettings
from tests.support.harness import eventually
from tests.support.intake import IntakeApi, app_of, publish

OLD, RECENT, ASKING = "13811110001", "13811110002", "13911110003"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data_dir: Path = tmp_path_factory.mktemp("intake-privacy")
    settings = Settings(data_dir=data_dir)
    with TestClient(build(settings, IntakeSettings(retention_sweep_seconds=0.2))) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def api(client: TestClient) -> IntakeApi:
    return IntakeApi(client)


def _calls(client: TestClient, ticket_id: str) -> list[Any]:
    query = text("SELECT caller_masked, caller_key, caller_cipher FROM calls WHERE ticket_id = :t")
    with app_of(client).state.platform.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(query, {"t": ticket_id})]


def _closed(client: TestClient, ticket_id: str, days_ago: int) -> None:
    at = datetime.now(UTC) - timedelta(days=days_ago)
    publish(client, TicketClosed(reason="satisfied", at=at), ticket_id, "feedback")


def test_the_retention_job_erases_old_closed_tickets_numbers_and_keeps_the_mask(
    api: IntakeApi, client: TestClient
) -> None:
    old = api.call(caller_phone=OLD).json()["id"]
    recent = api.call(caller_phone=RECENT).json()["id"]
    _closed(client, old, days_ago=181)
    _closed(client, recent, days_ago=10)
    eventually(lambda: _calls(client, old)[0][2] is None)
    assert _calls(client, old) == [("138****0001", None, None)]
    masked, key, cipher = _calls(client, recent)[0]
    assert masked == "138****0002" and key and cipher
    audit = api.get("/api/v1/privacy-audit", user="admin").json()["items"]
    sweep = [a for a in audit if a["action"] == "retention"]
    assert sweep and sweep[0]["actor"] == "system" and sweep[0]["reason"] == "closed>180d"


def test_an_admin_exports_then_erases_a_callers_data_and_both_are_recorded(
    api: IntakeApi,
) -> None:
    ticket = api.call(caller_phone=ASKING, description="小区门口垃圾堆放").json()
    body = {"json": {"phone": "+86 139-1111-0003"}}
    assert api.send("POST", "/api/v1/callers/export", user="agent1", **body).status_code == 403
    exported = api.send("POST", "/api/v1/callers/export", **body)
    assert exported.status_code == 200 and exported.headers["cache-control"] == "no-store"
    copy = exported.json()
    assert copy["phone"] == ASKING
    assert [(c["ticket_id"], c["description"]) for c in copy["calls"]] == [
        (ticket["id"], "小区门口垃圾堆放")
    ]
    erased = api.send("POST", "/api/v1/callers/erase", **body)
    assert erased.json() == {"erased_calls": 1}
    assert api.send("POST", "/api/v1/callers/export", **body).status_code == 404
    assert api.get(f"/api/v1/tickets/{ticket['id']}").json()["caller_masked"] is None
    audit = api.get("/api/v1/privacy-audit", user="admin", limit=50).json()["items"]
    requests = [(a["action"], a["actor"], a["records"]) for a in audit if a["reason"] == "request"]
    assert requests[:2] == [("erase", "admin", 1), ("export", "admin", 1)]
    bad = api.send("POST", "/api/v1/callers/erase", json={"phone": "12"})
    assert bad.status_code == 422


def test_the_audit_pages_newest_first_for_admins_only(api: IntakeApi) -> None:
    call = api.call(caller_phone="13811110004").json()
    for _ in range(3):
        assert api.get(f"/api/v1/calls/{call['call_id']}/phone").status_code == 200
    assert api.get(f"/api/v1/calls/{call['call_id']}/phone", user="agent2").status_code == 403
    first = api.get("/api/v1/phone-reveals", user="admin", limit=2).json()
    second = api.get("/api/v1/phone-reveals", user="admin", limit=2, before=first["next_before"])
    outcomes = [e["outcome"] for e in first["items"] + second.json()["items"]]
    assert outcomes == ["refused", "revealed", "revealed", "revealed"]
    assert api.get("/api/v1/phone-reveals", user="agent1").status_code == 403


def test_a_texted_rating_link_arrives_sealed_and_its_text_keeps_no_link(
    api: IntakeApi, client: TestClient
) -> None:
    ticket = api.call(caller_phone="13811110005").json()
    link = f"https://12345.example.gov.cn/feedback/rate?ticket={ticket['id']}&t=SECRET-TOKEN"
    sealed = LinkSeal(Settings().rating_link_keys).seal(link)
    request = RatingRequested(
        invitation_id="inv-privacy-1",
        sealed_link=sealed,
        expires_at=datetime.now(UTC) + timedelta(days=7),
        department_code="D-JXS",
        at=datetime.now(UTC),
    )
    publish(client, request, ticket["id"], "feedback")
    # The embedded profile's local outbox is the delivery: its page shows the whole text.
    rows = eventually(lambda: _sms(api, ticket["id"]))
    assert link in rows[0]["text"]
    # A callback is now due: any agent may reveal the number for it.
    shown = api.get(f"/api/v1/tickets/{ticket['id']}/phone", user="agent2")
    assert shown.json() == {"phone": "13811110005"}


def _sms(api: IntakeApi, ticket_id: str) -> list[Any]:
    return [r for r in api.get("/api/v1/sms", user="admin").json() if r["ticket_id"] == ticket_id]
