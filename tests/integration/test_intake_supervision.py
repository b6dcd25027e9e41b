"""The agent's view of supervision (督办): put on the list, a ticket reads `supervised`;
taken off it, the ticket does not become supervised, whatever came in between."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pytest
from fastapi.testclient import TestClient

from proto.assignments import AssignmentAcknowledged, AssignmentSupervised, CitizenContacted
from proto.envelope import Event
from services.common.settings import Settings
from services.intake.bootstrap import build
from tests.support.harness import eventually
from tests.support.intake import IntakeApi, count, publish


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IntakeApi]:
    data_dir: Path = tmp_path_factory.mktemp("intake-supervision")
    with TestClient(build(Settings(data_dir=data_dir))) as client:
        yield IntakeApi(client)


def _supervision(action: Literal["opened", "noted", "closed"]) -> AssignmentSupervised:
    now = datetime.now(UTC)
    return AssignmentSupervised(
        assignment_id="a1", department_code="D-JXS", reason="督办", by="dispatcher", at=now,
        action=action,
    )  # fmt: skip


def _consume(api: IntakeApi, ticket_id: str, event: Event) -> str:
    """Publishes `event` as dispatch would, waits until intake consumed it, and returns the
    ticket's status then."""
    seen = count(api.client, "inbox")
    publish(api.client, event, ticket_id, "dispatch")
    eventually(lambda: count(api.client, "inbox") > seen)
    return str(api.get(f"/api/v1/tickets/{ticket_id}").json()["status"])


def test_a_closed_supervision_does_not_mark_the_ticket_supervised(api: IntakeApi) -> None:
    ticket_id = api.call().json()["id"]
    now = datetime.now(UTC)
    contacted = CitizenContacted(
        assignment_id="a1", department_code="D-JXS", note="联系了", by="staff", at=now
    )
    assert _consume(api, ticket_id, _supervision("opened")) == "supervised"
    assert _consume(api, ticket_id, contacted) == "in_progress"
    assert _consume(api, ticket_id, _supervision("closed")) == "in_progress"


def test_only_putting_it_on_the_list_reads_as_supervised(api: IntakeApi) -> None:
    ticket_id = api.call().json()["id"]
    acknowledged = AssignmentAcknowledged(
        assignment_id="a2", department_code="D-JXS", by="staff", at=datetime.now(UTC)
    )
    assert _consume(api, ticket_id, acknowledged) == "acknowledged"
    assert _consume(api, ticket_id, _supervision("closed")) == "acknowledged"
