"""Looks up event classes by (type, version) and parses raw messages into typed events."""

from __future__ import annotations

from proto.envelope import Envelope, Event
from proto.events import EVENTS

_BY_KEY: dict[tuple[str, int], type[Event]] = {(e.TYPE, e.VERSION): e for e in EVENTS}


class UnknownEvent(ValueError):
    pass


def event_class(type_: str, version: int) -> type[Event]:
    try:
        return _BY_KEY[(type_, version)]
    except KeyError:
        raise UnknownEvent(f"unknown event {type_} v{version}") from None


def decode(raw: bytes) -> tuple[Envelope, Event]:
    """Parses and validates one message; raises ValueError for anything malformed."""
    envelope = Envelope.model_validate_json(raw)
    event = event_class(envelope.type, envelope.schema_version).model_validate(envelope.payload)
    return envelope, event


def encode(envelope: Envelope) -> bytes:
    return envelope.model_dump_json().encode()
