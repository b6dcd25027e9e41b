"""Every line intake writes to its privacy audit trail is also a PersonalDataAccessed event
on hotline.audit, in the same transaction: a reveal and a refusal one each, naming the
ticket by its id and number, never the phone number."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from services.common.messaging_tables import outbox_table
from services.common.settings import Settings
from services.intake.adapters.orm import metadata
from services.intake.bootstrap import build
from tests.support.intake import IntakeApi, app_of

PHONE = "13855550123"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data_dir: Path = tmp_path_factory.mktemp("privacy-audit-events")
    with TestClient(build(Settings(data_dir=data_dir))) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def api(client: TestClient) -> IntakeApi:
    return IntakeApi(client)


def _reveal_events(client: TestClient) -> list[tuple[str, dict[str, Any]]]:
    """(raw outbox row, payload) of every PersonalDataAccessed about a reveal."""
    table = outbox_table(metadata)
    query = select(table.c.payload).where(table.c.key == "privacy:reveal").order_by(table.c.id)
    with app_of(client).state.platform.engine.connect() as conn:
        raw = list(conn.execute(query).scalars())
    return [(r, json.loads(r)) for r in raw]


def test_a_reveal_and_a_refusal_each_publish_one_event_without_the_number(
    api: IntakeApi, client: TestClient
) -> None:
    ticket = api.call(caller_phone=PHONE).json()
    assert _reveal_events(client) == []

    assert api.get(f"/api/v1/calls/{ticket['call_id']}/phone").json() == {"phone": PHONE}
    assert len(_reveal_events(client)) == 1
    refused = api.get(f"/api/v1/calls/{ticket['call_id']}/phone", user="agent2")
    assert refused.status_code == 403

    events = _reveal_events(client)
    assert [e["type"] for _, e in events] == ["PersonalDataAccessed"] * 2
    payloads = [e["payload"] for _, e in events]
    assert [(p["outcome"], p["by"]) for p in payloads] == [
        ("revealed", "agent1"),
        ("refused", "agent2"),
    ]
    for payload in payloads:
        assert payload["action"] == "reveal" and payload["reason"] == "logged"
        assert payload["ticket_id"] == ticket["id"]
        assert payload["ticket_number"] == ticket["number"]
    for raw, _ in events:
        assert PHONE not in raw and ticket["caller_masked"] not in raw


def test_an_export_and_an_erasure_publish_their_events_too(
    api: IntakeApi, client: TestClient
) -> None:
    api.call(caller_phone="13955550456")
    body = {"json": {"phone": "13955550456"}}
    assert api.send("POST", "/api/v1/callers/export", **body).status_code == 200
    assert api.send("POST", "/api/v1/callers/erase", **body).status_code == 200
    table = outbox_table(metadata)
    query = select(table.c.key, table.c.payload).where(table.c.key.like("privacy:%"))
    with app_of(client).state.platform.engine.connect() as conn:
        rows = [(key, json.loads(p)) for key, p in conn.execute(query)]
    requests = [(k, p["payload"]["action"], p["payload"]["by"]) for k, p in rows]
    assert ("privacy:export", "export", "admin") in requests
    assert ("privacy:erase", "erase", "admin") in requests
    assert all("13955550456" not in json.dumps(p) for _, p in rows)
