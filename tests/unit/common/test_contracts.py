"""Event contracts: generated schemas match the models, and decoding refuses bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from proto.assignments import AssignmentDispatched
from proto.envelope import Envelope
from proto.registry import UnknownEvent, decode, encode
from proto.schemas import SCHEMA_DIR, rendered


def test_committed_schemas_match_the_models() -> None:
    expected = rendered()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in SCHEMA_DIR.glob("*.json")}
    assert on_disk == expected, "run `python -m proto.schemas` and commit the result"


def _dispatched() -> AssignmentDispatched:
    return AssignmentDispatched(
        assignment_id="a1",
        department_code="D-JXS",
        department_name="朝阳区建外街道办事处",
        rule="territory:street",
        dispatched_at=datetime(2026, 11, 28, 8, 0, tzinfo=UTC),
    )


def test_round_trip_keeps_type_version_and_payload() -> None:
    envelope = Envelope.wrap(_dispatched(), producer="dispatch", ticket_id="t1")
    parsed_envelope, event = decode(encode(envelope))
    assert parsed_envelope == envelope
    assert event == _dispatched()


def test_unknown_type_and_bad_payload_are_refused() -> None:
    envelope = Envelope.wrap(_dispatched(), producer="dispatch", ticket_id="t1")
    unknown = envelope.model_copy(update={"type": "SomethingElse"})
    with pytest.raises(UnknownEvent):
        decode(encode(unknown))
    broken = json.loads(encode(envelope))
    del broken["payload"]["department_code"]
    with pytest.raises(ValueError):
        decode(json.dumps(broken).encode())
    with pytest.raises(ValueError):
        decode(b"not json at all")


def test_envelope_requires_an_offset_on_times() -> None:
    raw = json.loads(encode(Envelope.wrap(_dispatched(), producer="d", ticket_id="t")))
    raw["occurred_at"] = "2026-11-28T08:00:00"
    with pytest.raises(ValueError):
        decode(json.dumps(raw).encode())


def test_fields_a_newer_producer_added_are_ignored_not_refused() -> None:
    raw = json.loads(encode(Envelope.wrap(_dispatched(), producer="dispatch", ticket_id="t1")))
    raw["tenant"] = "beijing"
    raw["payload"]["department_phone"] = "010-12345"
    envelope, event = decode(json.dumps(raw).encode())
    assert envelope.ticket_id == "t1"
    assert event == _dispatched()
