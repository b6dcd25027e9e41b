"""The searchable fields of a ticket's document, computed from its facts and timeline alone.

Everything here is a function of the facts (see `facts`) and the sorted timeline, never of
the order events arrived in, which is what keeps the projection order-insensitive.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from proto.assignments import SLA_STATES
from proto.vocabulary import TicketStatus
from services.search.domain import rates

Doc = dict[str, Any]
Assignment = dict[str, Any]

# Statuses (the vocabulary's, checked by the type) in which someone still has to act, so a
# deadline can be missed.
OPEN: frozenset[TicketStatus] = frozenset({
    "created", "pending_review", "dispatched", "acknowledged", "in_progress", "returned",
    "reopened",
})  # fmt: skip
_STATUS_OF: dict[str, TicketStatus] = {
    "TicketCreated": "created",
    "TicketQueuedForReview": "pending_review",
    "AssignmentDispatched": "dispatched",
    "AssignmentAcknowledged": "acknowledged",
    "CitizenContacted": "in_progress",
    "ProgressNoted": "in_progress",
    "AssignmentResolved": "resolved",
    "AssignmentReturned": "returned",
    "TicketAnsweredDirectly": "answered",
    "ReopenRequested": "reopened",
    "TicketClosed": "closed",
}
_CLOCKS = ("acknowledge", "contact", "resolve")
# A clock is done once any of these parts of its assignment is recorded.
_CLOCK_DONE = {
    "acknowledge": ("acknowledged", "contacted", "resolved"),
    "contact": ("contacted", "resolved"),
    "resolve": ("resolved",),
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TICKET_FIELDS = (
    "number", "channel", "request_type", "category_code", "category_path", "area_code",
    "area_path", "urgency", "description", "address", "has_phone", "created_by",
    "created_at", "frequent_caller", "source",
)  # fmt: skip


def derive(doc: Doc) -> Doc:
    """Returns `doc` with every derived field recomputed from its facts."""
    ticket = doc.get("ticket", {})
    doc.update({name: ticket[name] for name in _TICKET_FIELDS if name in ticket})
    doc.update(_places(doc.get("category_code"), doc.get("area_code")))
    doc["calls"] = max(1, int(doc.get("calls_seen", 1)))
    # What later callers said about the same problem is searched with the ticket's own words.
    attached = sorted(
        doc.get("calls_attached", {}).values(), key=lambda c: c.get("attached_at", "")
    )
    doc["more_descriptions"] = [c["description"] for c in attached if c.get("description")]
    doc["status"] = status(doc)
    doc["is_open"] = doc["status"] in OPEN
    doc.update(_departments(doc.get("assignments", {})))
    doc.update(_clocks(doc))
    doc.update(_outcome(doc))
    doc.update(_suggestion(doc.get("assignments", {})))
    doc["updated_at"] = doc["timeline"][-1]["at"] if doc["timeline"] else None
    return doc


def status(doc: Doc) -> TicketStatus:
    """The status after the timeline's events in time order. Co-handlers' steps do not move
    it; a closed ticket stays closed unless the citizen asks to reopen it."""
    current: TicketStatus | None = None
    assignments = doc.get("assignments", {})
    for item in doc["timeline"]:
        new = _STATUS_OF.get(item["type"])
        if new is None or _is_co(assignments.get(item.get("assignment_id", ""), {})):
            continue
        if (new == "created" and current is not None) or (
            current == "closed" and new != "reopened"
        ):
            continue
        current = new
    return current or "created"


def _places(category: str | None, area: str | None) -> Doc:
    """Prefix codes for hierarchical filters: categories nest by 2 digits, areas are a
    6-digit district, then 3 digits for the street and 3 for the community."""
    categories = [category[:n] for n in range(2, len(category), 2)] + [category] if category else []
    areas = [area[:n] for n in range(6, len(area), 3)] + [area] if area else []
    district = area[:6] if area else None
    street = area[:9] if area and len(area) >= 9 else district
    return {
        "category_codes": categories,
        "area_codes": areas,
        "district_code": district,
        "street_code": street,
        "hotspot_key": f"{category}@{street}" if category and street else None,
    }


def _part(assignment: Assignment, name: str) -> Any:
    for part in ("dispatched", "resolved", "acknowledged", "contacted", "returned"):
        value = assignment.get(part, {}).get(name)
        if value is not None:
            return value
    return None


def _is_co(assignment: Assignment) -> bool:
    return _part(assignment, "role") == "co"


def _department(assignment: Assignment) -> str | None:
    for part in assignment.values():
        if isinstance(part, dict) and part.get("department_code"):
            return str(part["department_code"])
    return None


def _round(assignment: Assignment) -> int:
    return int(assignment.get("dispatched", {}).get("round", 1))


def _current_lead(assignments: dict[str, Assignment]) -> tuple[str, Assignment] | None:
    """The lead assignment now in charge: latest round, latest dispatch, not returned."""
    leads = [
        (_round(a), a.get("dispatched", {}).get("dispatched_at", ""), key, a)
        for key, a in assignments.items()
        if not _is_co(a) and "returned" not in a
    ]
    if not leads:
        return None
    *_, key, chosen = max(leads, key=lambda lead: lead[:3])
    return key, chosen


def _departments(assignments: dict[str, Assignment]) -> Doc:
    lead = _current_lead(assignments)
    chosen = lead[1] if lead else {}
    top_round = max((_round(a) for a in assignments.values()), default=0)
    co = {
        _department(a)
        for a in assignments.values()
        if _is_co(a) and "returned" not in a and _round(a) == top_round
    }
    return {
        "assignment_id": lead[0] if lead else None,
        "department_code": _department(chosen),
        "department_name": _part(chosen, "department_name"),
        "department_codes": sorted({d for a in assignments.values() if (d := _department(a))}),
        "co_department_codes": sorted(d for d in co if d),
        "round": top_round,
    }


def deadlines(assignment: Assignment) -> dict[str, str]:
    """The assignment's deadlines: as dispatched, then moved by each resumption after a pause
    and by each granted extension, in time order."""
    dispatched = assignment.get("dispatched", {})
    changes = [(dispatched.get("dispatched_at", ""), dispatched.get("deadlines", {}))]
    resumed = assignment.get("resumed", {})
    changes.append((resumed.get("at", ""), resumed.get("deadlines", {})))
    decision = assignment.get("extension_decided", {})
    if decision.get("granted") and decision.get("new_due"):
        changes.append((decision.get("at", ""), {"resolve": decision["new_due"]}))
    found: dict[str, str] = {}
    for _, moved in sorted(changes, key=lambda change: _instant(change[0])):
        found |= moved
    return found


def _paused(assignment: Assignment) -> bool:
    paused = assignment.get("paused", {}).get("at")
    resumed = assignment.get("resumed", {}).get("at")
    return bool(paused) and (not resumed or _instant(paused) > _instant(resumed))


def _supervised(assignment: Assignment) -> bool:
    """On the supervision list, as dispatch last said (a breach's included), until taken off."""
    supervised = assignment.get("supervised")
    return supervised is not None and supervised.get("action", "opened") != "closed"


def _sla_states(assignment: Assignment) -> list[str]:
    """The SLA states dispatch reported for an assignment, in its firings and resolution."""
    fired = [
        firing.get("sla_state", fallback)
        for part, fallback in (("warnings", "warned"), ("breaches", "breached"))
        for firing in assignment.get(part, {}).values()
    ]
    resolved = assignment.get("resolved", {}).get("sla_state")
    return fired + ([resolved] if resolved else [])


def sla_state(assignments: Any) -> str:
    """The worst SLA state dispatch reported for any of the ticket's assignments."""
    reported = [state for a in assignments for state in _sla_states(a) if state in SLA_STATES]
    return max(reported, key=SLA_STATES.index, default="on_time")


def _clocks(doc: Doc) -> Doc:
    lead = _current_lead(doc.get("assignments", {}))
    chosen = lead[1] if lead else {}
    due = deadlines(chosen)
    pending = [
        due[clock]
        for clock in _CLOCKS
        if clock in due and not any(part in chosen for part in _CLOCK_DONE[clock])
    ]
    every = doc.get("assignments", {}).values()
    paused = _paused(chosen)
    return {
        "deadlines": due,
        "clocks_paused": paused,
        "due_at": min(pending, key=_instant) if pending and doc["is_open"] and not paused else None,
        "sla_state": sla_state(every),
        # Dispatch decides supervision (repeat calls and the reopen limit included) and
        # says so in AssignmentSupervised; the requests for it are not the decision.
        "supervised": any(_supervised(a) for a in every),
    }


def _instant(iso: str) -> datetime:
    """An ISO time as an instant; a missing one sorts first."""
    return datetime.fromisoformat(iso) if iso else _EPOCH


def _suggestion(assignments: dict[str, Assignment]) -> Doc:
    """What the dispatcher did with the ticket's suggestion (accepted, overridden) and when,
    as dispatch said in the assignment it sent by hand from the review queue: it weighs a
    ticket's suggestion once, so the first such dispatch is the one."""
    decided = sorted(
        (_instant(sent.get("dispatched_at", "")), sent.get("dispatched_at"), sent["suggestion"])
        for a in assignments.values()
        if (sent := a.get("dispatched", {})).get("suggestion")
    )
    _, at, outcome = decided[0] if decided else (None, None, None)
    return {"suggestion_outcome": outcome, "suggestion_decided_at": at}


def _outcome(doc: Doc) -> Doc:
    resolved = [
        a["resolved"]
        for a in doc.get("assignments", {}).values()
        if "resolved" in a and not _is_co(a)
    ]
    last = max(resolved, key=lambda r: r.get("at", ""), default=None)
    ratings = list(doc.get("ratings", {}).values())
    rating = max(ratings, key=lambda r: r.get("at", ""), default=None)
    reopens = doc.get("reopens", {})
    out: Doc = {
        "resolved_at": last and last.get("at"),
        "within_sla": last and last.get("within_sla"),
        "resolved_department_code": last and last.get("department_code"),
        "m_resolved": int(last is not None),
        "m_within_sla": int(bool(last and last.get("within_sla"))),
        "rating": rating,
        "rated_at": rating and rating.get("at"),
        "rating_department_code": rates.counted_for(
            rating and (rating.get("department_code") or doc.get("department_code")),
            doc.get("exclusions", {}),
        ),
        "reopen_count": max((int(k) for k in reopens), default=0),
        "closed_at": doc.get("closed", {}).get("at"),
        "close_reason": doc.get("closed", {}).get("reason"),
        "answered_at": doc.get("answered", {}).get("answered_at"),
    }
    return out | rates.counts(ratings)
