"""The search projection must give the same document whatever the order or repetition."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from proto.assignments import AssignmentDispatched
from proto.envelope import Envelope, Event
from proto.tickets import TicketCreated
from services.search.domain.projection import apply

T0 = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
NOW = T0 + timedelta(minutes=5)


def _created() -> tuple[Envelope, Event]:
    event = TicketCreated(
        number="26112800001",
        channel="phone",
        request_type="complaint",
        category_code="010101",
        category_path=["城乡建设", "市容环境", "噪音扰民"],
        area_code="110105001001",
        area_path=["朝阳区", "建外街道", "永安里社区"],
        urgency="general",
        description="夜间施工噪音扰民",
        caller_masked="138****5678",
        caller_key="k" * 32,
        created_by="agent1",
        created_at=T0,
    )
    envelope = Envelope.wrap(event, producer="intake", ticket_id="t1").model_copy(
        update={"occurred_at": T0}
    )
    return envelope, event


def _dispatched(minutes: int, department: str) -> tuple[Envelope, Event]:
    at = T0 + timedelta(minutes=minutes)
    event = AssignmentDispatched(
        assignment_id=f"a{minutes}",
        department_code=department,
        department_name=department,
        rule="territory:street",
        dispatched_at=at,
    )
    envelope = Envelope.wrap(event, producer="dispatch", ticket_id="t1").model_copy(
        update={"occurred_at": at}
    )
    return envelope, event


def _fold(events: list[tuple[Envelope, Event]]) -> dict:
    doc = None
    for envelope, event in events:
        doc = apply(doc, envelope, event, NOW)
    assert doc is not None
    return doc


def test_a_created_and_dispatched_ticket() -> None:
    doc = _fold([_created(), _dispatched(1, "D-JXS")])
    assert doc["status"] == "dispatched"
    assert doc["department_code"] == "D-JXS"
    assert doc["description"] == "夜间施工噪音扰民"
    # An event from before caller references: read, but nothing derived from the number kept.
    assert doc["has_phone"] is True
    assert "caller_masked" not in doc and "caller_key" not in doc
    assert [e["type"] for e in doc["timeline"]] == ["TicketCreated", "AssignmentDispatched"]


def test_every_order_and_repetition_gives_the_same_document() -> None:
    events = [_created(), _dispatched(1, "D-JXS"), _dispatched(9, "G-CY")]
    expected = _fold(events)
    assert expected["department_code"] == "G-CY"  # the later assignment wins
    for order in itertools.permutations(events):
        assert _fold([*order, *order]) == expected
