"""Loads and saves assignments with their clocks, tickets and extensions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Result, Row, insert, select, update
from sqlalchemy.orm import Session

from proto.envelope import Event
from services.dispatch.adapters.orm import activity, assignments, clocks, extensions, tickets
from services.dispatch.domain.assignment import Assignment
from services.dispatch.domain.dispatching import Ticket
from services.dispatch.domain.errors import Refused
from services.dispatch.domain.extension import Extension
from services.dispatch.domain.sla import Clock

_ASSIGNMENT_COLUMNS = [f.name for f in fields(Assignment) if f.name not in ("clocks", "events")]
_CLOCK_COLUMNS = {
    "name": "clock",
    "working_days": "working_days",
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


def clock_of(row: Row[Any]) -> Clock:
    m = row._mapping
    return Clock(**{attr: m[column] for attr, column in _CLOCK_COLUMNS.items()})


def clock_values(clock: Clock) -> dict[str, Any]:
    values = {column: getattr(clock, attr) for attr, column in _CLOCK_COLUMNS.items()}
    return values | {"next_fire_at": clock.next_fire_at}


def changed(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE touched (a session hands back its cursor result)."""
    return cast(CursorResult[Any], result).rowcount


def load(session: Session, assignment_id: str, *, lock: bool = False) -> Assignment | None:
    """The assignment with its clocks; `lock` holds its row until the transaction ends."""
    query = select(assignments).where(assignments.c.id == assignment_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = session.execute(query).first()
    if row is None:
        return None
    rows = session.execute(select(clocks).where(clocks.c.assignment_id == assignment_id))
    loaded = {r.clock: clock_of(r) for r in rows}
    values = {name: row._mapping[name] for name in _ASSIGNMENT_COLUMNS}
    return Assignment(**values, clocks=loaded)


def add(session: Session, assignment: Assignment) -> None:
    values = {name: getattr(assignment, name) for name in _ASSIGNMENT_COLUMNS}
    session.execute(insert(assignments).values(**values, sla_state=assignment.sla_state))
    for clock in assignment.clocks.values():
        session.execute(
            insert(clocks).values(
                assignment_id=assignment.id,
                ticket_id=assignment.ticket_id,
                department_code=assignment.department_code,
                **clock_values(clock),
            )
        )


def save(session: Session, assignment: Assignment) -> None:
    """Writes the changes; refuses (409) if someone else saved the assignment meanwhile."""
    values = {n: getattr(assignment, n) for n in _ASSIGNMENT_COLUMNS if n != "version"}
    done = session.execute(
        update(assignments)
        .where(assignments.c.id == assignment.id, assignments.c.version == assignment.version)
        .values(**values, sla_state=assignment.sla_state, version=assignment.version + 1)
    )
    if changed(done) != 1:
        raise Refused("dispatch.concurrent_change")
    assignment.version += 1
    for clock in assignment.clocks.values():
        session.execute(
            update(clocks)
            .where(clocks.c.assignment_id == assignment.id, clocks.c.clock == clock.name)
            .values(**clock_values(clock))
        )


def record_activity(session: Session, events: Sequence[Event], at: datetime) -> None:
    """The visible history: one row per event with who did it and its words."""
    for event in events:
        data = event.model_dump(mode="json")
        session.execute(
            insert(activity).values(
                assignment_id=data.pop("assignment_id"),
                type=event.TYPE,
                by=str(data.get("by") or data.get("dispatched_by") or "system"),
                at=at,
                detail=json.dumps(data, ensure_ascii=False),
            )
        )


_TICKET_COLUMNS = [f.name for f in fields(Ticket)]


def load_ticket(session: Session, ticket_id: str) -> Ticket | None:
    row = session.execute(select(tickets).where(tickets.c.id == ticket_id)).first()
    return Ticket(**{n: row._mapping[n] for n in _TICKET_COLUMNS}) if row else None


def add_ticket(session: Session, ticket: Ticket) -> None:
    session.execute(insert(tickets).values(**{n: getattr(ticket, n) for n in _TICKET_COLUMNS}))


def save_ticket(session: Session, ticket: Ticket) -> None:
    values = {n: getattr(ticket, n) for n in _TICKET_COLUMNS if n != "id"}
    session.execute(update(tickets).where(tickets.c.id == ticket.id).values(**values))


_EXTENSION_COLUMNS = [f.name for f in fields(Extension)]


def load_extension(session: Session, extension_id: str) -> Extension | None:
    row = session.execute(select(extensions).where(extensions.c.id == extension_id)).first()
    return Extension(**{n: row._mapping[n] for n in _EXTENSION_COLUMNS}) if row else None


def has_pending_extension(session: Session, assignment_id: str) -> bool:
    query = select(extensions.c.id).where(
        extensions.c.assignment_id == assignment_id, extensions.c.status == "pending"
    )
    return session.execute(query).first() is not None


def add_extension(session: Session, extension: Extension) -> None:
    values = {n: getattr(extension, n) for n in _EXTENSION_COLUMNS}
    session.execute(insert(extensions).values(**values))


def save_extension(session: Session, extension: Extension) -> None:
    values = {n: getattr(extension, n) for n in _EXTENSION_COLUMNS if n != "id"}
    session.execute(update(extensions).where(extensions.c.id == extension.id).values(**values))


def round_assignments(session: Session, ticket_id: str) -> list[Assignment]:
    """The ticket's assignments, newest round and attempt first."""
    query = (
        select(assignments.c.id)
        .where(assignments.c.ticket_id == ticket_id)
        .order_by(assignments.c.round.desc(), assignments.c.attempt.desc())
    )
    found = [load(session, i) for i in session.scalars(query)]
    return [a for a in found if a is not None]
