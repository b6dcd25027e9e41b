"""Folds events into one document per ticket. Pure, idempotent and order-insensitive:
each event records its facts in slots that only a newer event may overwrite (`facts`), the
timeline is kept sorted and free of repeats, and every searchable field is recomputed from
facts and timeline (`derive`), so the same events give the same document in any order."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from proto.envelope import Envelope, Event
from services.search.domain import derive, facts, timeline

KNOWN_EVENTS = facts.KNOWN
# The containers `facts.put` writes into; everything else is replaced whole, never changed in
# place, so a fold copies only these (copying the whole document, timeline and all, for
# every event was most of the cost of a rebuild).
_WRITTEN_IN_PLACE = (
    "versions", "assignments", "invitations", "ratings", "callbacks", "reopens", "calls_attached",
    "appeals", "exclusions",
)  # fmt: skip


def _clone(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _clone(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clone(item) for item in value]
    return value


def _copy(doc: dict[str, Any]) -> dict[str, Any]:
    """A copy of `doc` that a fold may change without changing `doc`."""
    copied = dict(doc)
    for key in _WRITTEN_IN_PLACE:
        if key in copied:
            copied[key] = _clone(copied[key])
    return copied


def empty(ticket_id: str) -> dict[str, Any]:
    return {"ticket_id": ticket_id, "status": "created", "timeline": [], "versions": {}}


def apply(
    doc: dict[str, Any] | None, envelope: Envelope, event: Event, now: datetime
) -> dict[str, Any]:
    """Returns the document with this event folded in (an equal document if already in).
    `now` only stamps when the ticket first became searchable."""
    doc = _copy(doc) if doc else empty(envelope.ticket_id)
    if any(e["event_id"] == envelope.event_id for e in doc["timeline"]):
        return doc
    at = envelope.occurred_at.astimezone(UTC).isoformat()  # one offset: strings compare as times
    facts.record(doc, envelope, event, f"{at}|{envelope.event_id}")
    entry = timeline.entry(envelope, event, at)
    doc["timeline"] = sorted([*doc["timeline"], entry], key=lambda e: (e["at"], e["event_id"]))
    if "ticket" in doc and "searchable_at" not in doc:
        doc["searchable_at"] = now.isoformat()
    return derive.derive(doc)
