"""Folds events into one document per ticket. Pure, idempotent and order-insensitive:
each event sets its own group of fields only if it is newer than what set them before,
the status only moves forward, and the timeline is kept sorted and free of repeats."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from proto.assignments import AssignmentDispatched
from proto.envelope import Envelope, Event
from proto.tickets import TicketCreated

STATUS_RANK = {"created": 0, "dispatched": 1}


def _ticket_fields(event: TicketCreated) -> dict[str, Any]:
    fields = event.model_dump(mode="json", exclude={"caller_key", "created_by"})
    return fields | {"calls": 1}


def _assignment_fields(event: AssignmentDispatched) -> dict[str, Any]:
    return {
        "assignment_id": event.assignment_id,
        "department_code": event.department_code,
        "department_name": event.department_name,
        "routing_rule": event.rule,
    }


def _describe(envelope: Envelope, event: Event) -> tuple[str, str, str, dict[str, Any]]:
    """(field group, status, who, fields) for an event type the projection knows."""
    if isinstance(event, TicketCreated):
        return "ticket", "created", event.created_by, _ticket_fields(event)
    if isinstance(event, AssignmentDispatched):
        return "assignment", "dispatched", envelope.producer, _assignment_fields(event)
    raise TypeError(f"no projection for {envelope.type}")


def _summary(event: Event) -> str:
    if isinstance(event, TicketCreated):
        return f"受理来电，工单号 {event.number}"
    if isinstance(event, AssignmentDispatched):
        return f"派单至 {event.department_name}"
    return ""


def empty(ticket_id: str) -> dict[str, Any]:
    return {"ticket_id": ticket_id, "status": "created", "timeline": [], "versions": {}}


def apply(
    doc: dict[str, Any] | None, envelope: Envelope, event: Event, now: datetime
) -> dict[str, Any]:
    """Returns the document with this event folded in (the same document if already in)."""
    doc = copy.deepcopy(doc) if doc else empty(envelope.ticket_id)
    if any(e["event_id"] == envelope.event_id for e in doc["timeline"]):
        return doc
    group, status, who, fields = _describe(envelope, event)
    at = envelope.occurred_at.astimezone(UTC).isoformat()  # one offset: strings compare as times
    if at >= doc["versions"].get(group, ""):
        doc.update(fields)
        doc["versions"][group] = at
    if STATUS_RANK[status] > STATUS_RANK.get(doc["status"], -1):
        doc["status"] = status
    entry = {
        "event_id": envelope.event_id,
        "type": envelope.type,
        "at": at,
        "by": who,
        "summary": _summary(event),
    }
    doc["timeline"] = sorted([*doc["timeline"], entry], key=lambda e: (e["at"], e["event_id"]))
    doc["updated_at"] = doc["timeline"][-1]["at"]
    if group == "ticket" and "searchable_at" not in doc:
        doc["searchable_at"] = now.isoformat()
    return doc
