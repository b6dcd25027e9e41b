"""Proactive tickets (未诉先办) on real SQLite databases: at intake through the API (who may
open one, what its TicketCreated says, retries, bad input in both languages), and in
dispatch, which routes and clocks one like any other ticket."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from proto.envelope import Envelope
from services.common.messaging_tables import outbox_table
from services.common.settings import Settings
from services.dispatch.adapters.orm import metadata as dispatch_tables
from services.dispatch.bootstrap import build as dispatch_build
from services.dispatch.config import DispatchSettings
from services.dispatch.handlers import consumers
from services.dispatch.handlers.context import DispatchContext
from services.intake.bootstrap import build
from tests.support.dispatch import envelope, ticket_created
from tests.support.harness import driven
from tests.support.intake import IntakeApi, outbox

ROUTE = "/api/v1/proactive-tickets"
DISPATCH_OUTBOX = outbox_table(dispatch_tables)


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


def test_dispatch_routes_and_clocks_a_proactive_ticket_like_any_other(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    settings = Settings(data_dir=tmp_path_factory.mktemp("proactive-dispatch"))
    with TestClient(dispatch_build(settings, DispatchSettings(scheduler=False))) as client:
        deps: DispatchContext = client.app.state.deps  # type: ignore[attr-defined]
        event = ticket_created(
            channel="proactive", source="theme:th-1", caller_ref=None, has_phone=False,
            created_by="dispatcher",
        )  # fmt: skip
        env = envelope(event)
        with deps.uow() as u:
            consumers.on_ticket_created(deps, u, env, event)
            u.commit()
        with deps.uow() as u:
            rows = u.session.execute(select(DISPATCH_OUTBOX.c.payload)).scalars()
            sent = [Envelope.model_validate_json(raw) for raw in rows]
    (dispatched,) = [e for e in sent if e.type == "AssignmentDispatched"]
    assert dispatched.ticket_id == env.ticket_id
    assert dispatched.payload["department_code"] == "D-JXS"
    assert set(dispatched.payload["deadlines"]) >= {"acknowledge", "contact", "resolve"}
