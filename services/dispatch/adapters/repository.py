"""Loads and saves assignments with their clocks, tickets and extensions."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, fields
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Result, Row, bindparam, insert, select, update
from sqlalchemy.orm import Session

from proto.envelope import Event
from services.common.errors import Conflict
from services.dispatch.adapters.orm import (
    activity,
    assignments,
    clocks,
    extensions,
    suggestion_decisions,
    tickets,
)
from services.dispatch.domain.assignment import Assignment
from services.dispatch.domain.dispatching import Suggestion, SuggestionDecision, Ticket
from services.dispatch.domain.extension import Extension
from services.dispatch.domain.sla import Clock

_ASSIGNMENT_COLUMNS = [f.name for f in fields(Assignment) if f.name not in ("clocks", "events")]
_CLOCK_COLUMNS = {
    "name": "clock",
    "basis": "basis",
    "started_at": "started_at",
    "due_at": "due_at",
    "warn_at": "warn_at",
    "state": "state",
    "left": "left_seconds",
    "warn_left": "warn_left_seconds",
    "warned_at": "warned_at",
    "breached_at": "breached_at",
    "stopped_at": "stopped_at",
}


_A, _C, _T, _E = assignments.c, clocks.c, tickets.c, extensions.c

# Statements are built once and executed with parameter dicts, so SQLAlchemy's compiled cache
# is hit instead of constructing and compiling a statement per call (the consumer's main cost).
# Bind names carry a `b_` prefix: in an UPDATE, the other keys become the SET clause.
_LOAD = select(assignments).where(_A.id == bindparam("b_id"))
_LOAD_LOCKED = _LOAD.with_for_update()
_LOAD_CLOCKS = select(clocks).where(_C.assignment_id == bindparam("b_id"))
_ADD = insert(assignments)
_ADD_CLOCKS = insert(clocks)
_SAVE = update(assignments).where(_A.id == bindparam("b_id"), _A.version == bindparam("b_version"))
_SAVE_CLOCKS = update(clocks).where(
    _C.assignment_id == bindparam("b_assignment_id"), _C.clock == bindparam("b_clock")
)
_ADD_ACTIVITY = insert(activity)
_LOAD_TICKET = select(tickets).where(_T.id == bindparam("b_id"))
_LOAD_TICKET_LOCKED = _LOAD_TICKET.with_for_update()
_ADD_TICKET = insert(tickets)
_SAVE_TICKET = update(tickets).where(_T.id == bindparam("b_id"))
_LOAD_EXTENSION = select(extensions).where(_E.id == bindparam("b_id"))
_PENDING_EXTENSION = select(_E.id).where(
    _E.assignment_id == bindparam("b_assignment_id"), _E.status == "pending"
)
_ADD_EXTENSION = insert(extensions)
_SAVE_EXTENSION = update(extensions).where(_E.id == bindparam("b_id"))
_ROUND_ASSIGNMENTS = (
    select(_A.id)
    .where(_A.ticket_id == bindparam("b_ticket_id"))
    .order_by(_A.round.desc(), _A.attempt.desc())
)


def clock_of(row: Row[Any]) -> Clock:
    m = row._mapping
    return Clock(**{attr: m[column] for attr, column in _CLOCK_COLUMNS.items()})


def clock_values(clock: Clock) -> dict[str, Any]:
    values = {column: getattr(clock, attr) for attr, column in _CLOCK_COLUMNS.items()}
    return values | {"next_fire_at": clock.next_fire_at, "working_days": clock.working_days}


def changed(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE touched (a session hands back its cursor result)."""
    return cast(CursorResult[Any], result).rowcount


def load(session: Session, assignment_id: str, *, lock: bool = False) -> Assignment | None:
    """The assignment with its clocks; `lock` holds its row until the transaction ends."""
    locked = lock and session.get_bind().dialect.name == "postgresql"
    row = session.execute(_LOAD_LOCKED if locked else _LOAD, {"b_id": assignment_id}).first()
    if row is None:
        return None
    rows = session.execute(_LOAD_CLOCKS, {"b_id": assignment_id})
    loaded = {r.clock: clock_of(r) for r in rows}
    values = {name: row._mapping[name] for name in _ASSIGNMENT_COLUMNS}
    return Assignment(**values, clocks=loaded)


def add(session: Session, assignment: Assignment) -> None:
    values = {name: getattr(assignment, name) for name in _ASSIGNMENT_COLUMNS}
    session.execute(_ADD, values | {"sla_state": assignment.sla_state})
    owner = {
        "assignment_id": assignment.id,
        "ticket_id": assignment.ticket_id,
        "department_code": assignment.department_code,
    }
    rows = [owner | clock_values(clock) for clock in assignment.clocks.values()]
    if rows:  # all the clocks in one executemany
        session.execute(_ADD_CLOCKS, rows)


def save(session: Session, assignment: Assignment) -> None:
    """Writes the changes; refuses (409) if someone else saved the assignment meanwhile."""
    values = {n: getattr(assignment, n) for n in _ASSIGNMENT_COLUMNS if n != "version"}
    values |= {"sla_state": assignment.sla_state, "version": assignment.version + 1}
    done = session.execute(_SAVE, values | {"b_id": assignment.id, "b_version": assignment.version})
    if changed(done) != 1:
        raise Conflict("dispatch.concurrent_change")
    assignment.version += 1
    rows = [
        clock_values(clock) | {"b_assignment_id": assignment.id, "b_clock": clock.name}
        for clock in assignment.clocks.values()
    ]
    if rows:
        session.execute(_SAVE_CLOCKS, rows)


def record_activity(session: Session, events: Sequence[Event], at: datetime) -> None:
    """The visible history: one row per event with who did it and its words."""
    rows = []
    for event in events:
        data = event.model_dump(mode="json")
        rows.append(
            {
                "assignment_id": data.pop("assignment_id"),
                "type": event.TYPE,
                "by": str(data.get("by") or data.get("dispatched_by") or "system"),
                "at": at,
                "detail": json.dumps(data, ensure_ascii=False),
            }
        )
    if rows:
        session.execute(_ADD_ACTIVITY, rows)


_TICKET_COLUMNS = [f.name for f in fields(Ticket) if f.name != "suggestion"]


def suggestion_of(m: Mapping[str, Any]) -> Suggestion | None:
    """The suggestion kept in a tickets row's columns, if the ticket came with one."""
    if m["suggested_category"] is None:
        return None
    words = tuple(json.loads(m["suggestion_words"] or "[]"))
    return Suggestion(
        m["suggested_category"], m["suggestion_confidence"], m["suggestion_model_version"], words
    )


def _suggestion_values(s: Suggestion | None) -> dict[str, Any]:
    return {
        "suggested_category": s.category_code if s else None,
        "suggestion_confidence": s.confidence if s else None,
        "suggestion_model_version": s.model_version if s else None,
        "suggestion_words": json.dumps(list(s.words) if s else [], ensure_ascii=False),
    }


def load_ticket(session: Session, ticket_id: str, *, lock: bool = False) -> Ticket | None:
    """The ticket; `lock` holds its row until the transaction ends, so two dispatchers
    sending it at once take turns and the second finds it sent."""
    locked = lock and session.get_bind().dialect.name == "postgresql"
    row = session.execute(
        _LOAD_TICKET_LOCKED if locked else _LOAD_TICKET, {"b_id": ticket_id}
    ).first()
    if row is None:
        return None
    m = dict(row._mapping)
    return Ticket(**{n: m[n] for n in _TICKET_COLUMNS}, suggestion=suggestion_of(m))


def add_ticket(session: Session, ticket: Ticket) -> None:
    values = {n: getattr(ticket, n) for n in _TICKET_COLUMNS}
    session.execute(_ADD_TICKET, values | _suggestion_values(ticket.suggestion))


def save_ticket(session: Session, ticket: Ticket) -> None:
    """Routing's changes; the suggestion stays as the ticket came in."""
    values = {n: getattr(ticket, n) for n in _TICKET_COLUMNS if n != "id"}
    session.execute(_SAVE_TICKET, values | {"b_id": ticket.id})


def add_decision(session: Session, decision: SuggestionDecision) -> None:
    session.execute(insert(suggestion_decisions), asdict(decision))


_EXTENSION_COLUMNS = [f.name for f in fields(Extension)]


def load_extension(session: Session, extension_id: str) -> Extension | None:
    row = session.execute(_LOAD_EXTENSION, {"b_id": extension_id}).first()
    return Extension(**{n: row._mapping[n] for n in _EXTENSION_COLUMNS}) if row else None


def has_pending_extension(session: Session, assignment_id: str) -> bool:
    found = session.execute(_PENDING_EXTENSION, {"b_assignment_id": assignment_id}).first()
    return found is not None


def add_extension(session: Session, extension: Extension) -> None:
    values = {n: getattr(extension, n) for n in _EXTENSION_COLUMNS}
    session.execute(_ADD_EXTENSION, values)


def save_extension(session: Session, extension: Extension) -> None:
    values = {n: getattr(extension, n) for n in _EXTENSION_COLUMNS if n != "id"}
    session.execute(_SAVE_EXTENSION, values | {"b_id": extension.id})


def round_assignments(session: Session, ticket_id: str) -> list[Assignment]:
    """The ticket's assignments, newest round and attempt first."""
    ids = session.scalars(_ROUND_ASSIGNMENTS, {"b_ticket_id": ticket_id}).all()
    found = [load(session, i) for i in ids]
    return [a for a in found if a is not None]
