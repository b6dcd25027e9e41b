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
    envelope = decode_envelope(raw)
    return envelope, decode_payload(envelope)


def decode_envelope(raw: bytes) -> Envelope:
    """The envelope alone, so a reader can skip types it does not handle (even unknown
    ones) without parsing their payloads; raises ValueError if malformed."""
    return Envelope.model_validate_json(raw)


def decode_payload(envelope: Envelope) -> Event:
    """The typed event; fields a newer producer added are ignored (tolerant reader)."""
    return event_class(envelope.type, envelope.schema_version).model_validate(envelope.payload)


def encode(envelope: Envelope) -> bytes:
    return envelope.model_dump_json().encode()
