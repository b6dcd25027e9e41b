"""Proactive tickets (未诉先办) at intake, on a real SQLite database through the API: who may
open one, what its TicketCreated says, retries, and bad input in both languages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.common.settings import Settings
from services.intake.bootstrap import build
from tests.support.harness import driven
from tests.support.intake import IntakeApi, outbox

ROUTE = "/api/v1/proactive-tickets"


def body(**changes: Any) -> dict[str, Any]:
    return {
        "source": "hotspot:010101@110105001",
        "category_code": "010101",
        "area_code": "110105001001",
        "description": "热点：永安里夜间施工噪音，主动核查",
    } | changes


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IntakeApi]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("proactive"))
    with TestClient(driven(build(settings))) as client:
        yield IntakeApi(client)


def test_a_dispatcher_opens_a_ticket_with_no_caller_and_a_retry_opens_no_second(
    api: IntakeApi,
) -> None:
    key = {"Idempotency-Key": "proactive-1"}
    first = api.client.post(ROUTE, json=body(), headers=api.headers("dispatcher") | key)
    again = api.client.post(ROUTE, json=body(), headers=api.headers("dispatcher") | key)
    assert first.status_code == again.status_code == 201, first.text
    ticket = first.json()
    assert again.json()["id"] == ticket["id"]
    assert (ticket["channel"], ticket["caller_masked"], ticket["created_by"]) == (
        "proactive", None, "dispatcher",
    )  # fmt: skip
    created = [p for kind, p in outbox(api.client, ticket["id"]) if kind == "TicketCreated"]
    assert len(created) == 1
    event = created[0]
    assert (event["channel"], event["source"], event["has_phone"], event["caller_ref"]) == (
        "proactive", "hotspot:010101@110105001", False, None,
    )  # fmt: skip


def test_only_dispatchers_open_them_and_bad_input_is_refused_in_both_languages(
    api: IntakeApi,
) -> None:
    agent = api.client.post(ROUTE, json=body(), headers=api.headers("agent1"))
    assert agent.status_code == 403
    bad = api.client.post(ROUTE, json=body(source="somewhere"), headers=api.headers("dispatcher"))
    assert bad.status_code == 422 and bad.headers["content-type"].startswith(
        "application/problem+json"
    )
    assert [e["field"] for e in bad.json()["errors"]] == ["source"]
    unknown = api.client.post(
        ROUTE, json=body(area_code="999999999999"), headers=api.headers("dispatcher", "en")
    )
    assert unknown.status_code == 422 and "999999999999" in unknown.json()["detail"]
    assert "address library" in unknown.json()["detail"]
    # A call is always a citizen's: the agents' form cannot claim to be proactive.
    call = api.call(channel="proactive")
    assert call.status_code == 422
    assert [e["field"] for e in call.json()["errors"]] == ["channel"]
