"""What feedback remembers of tickets, assignments and departments, from others' events.

Helpers run inside the caller's unit of work and never commit.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import CursorResult, Row, Update, bindparam, insert, select, update
from sqlalchemy.orm import Session

from services.feedback.adapters.orm import assignments, departments, tickets

# Statements run for every consumed event are built once, so SQLAlchemy's compiled cache is
# hit. INSERTs take their columns, and UPDATEs their SET clause, from the parameters' keys;
# key binds are named `b_…` so they never clash with a column being set.
_TICKET = select(tickets).where(tickets.c.ticket_id == bindparam("b_ticket_id"))
_TICKET_KNOWN = select(tickets.c.ticket_id).where(tickets.c.ticket_id == bindparam("b_ticket_id"))
_INSERT_TICKET = insert(tickets)
_UPDATE_TICKET = update(tickets).where(tickets.c.ticket_id == bindparam("b_ticket_id"))

_ASSIGNMENT = select(assignments).where(assignments.c.assignment_id == bindparam("b_assignment_id"))
_INSERT_ASSIGNMENT = insert(assignments)
_UPDATE_ASSIGNMENT = update(assignments).where(
    assignments.c.assignment_id == bindparam("b_assignment_id")
)

_DEPARTMENT_NAME = select(departments.c.name).where(departments.c.code == bindparam("b_code"))
_INSERT_DEPARTMENT = insert(departments)
_UPDATE_DEPARTMENT = update(departments).where(departments.c.code == bindparam("b_code"))


def ticket(session: Session, ticket_id: str) -> Row[Any] | None:
    return session.execute(_TICKET, {"b_ticket_id": ticket_id}).first()


def ensure_ticket(session: Session, ticket_id: str, now: datetime) -> Row[Any]:
    """The ticket's row, created as `open` when an event arrives before TicketCreated."""
    row = ticket(session, ticket_id)
    if row is None:
        _insert_ticket(session, ticket_id, now)
        row = ticket(session, ticket_id)
    assert row is not None
    return row


def track_ticket(session: Session, ticket_id: str, now: datetime) -> None:
    """The ticket's row created as `open` if missing, without reading it back."""
    if session.execute(_TICKET_KNOWN, {"b_ticket_id": ticket_id}).first() is None:
        _insert_ticket(session, ticket_id, now)


def set_ticket(session: Session, ticket_id: str, now: datetime, **values: Any) -> None:
    """`ensure_ticket` then `update_ticket`, with the same outcome: one UPDATE when the row
    exists (the usual case), else the row is created `open` with `values` already in it."""
    if not update_ticket(session, ticket_id, now, **values):
        _insert_ticket(session, ticket_id, now, **values)


def _insert_ticket(session: Session, ticket_id: str, now: datetime, **values: Any) -> None:
    row = {"ticket_id": ticket_id, "status": "open", "updated_at": now, **values}
    session.execute(_INSERT_TICKET, row)


def update_ticket(session: Session, ticket_id: str, now: datetime, **values: Any) -> bool:
    """False when there is no such ticket."""
    params = {"b_ticket_id": ticket_id, "updated_at": now, **values}
    result = cast(CursorResult[Any], session.execute(_UPDATE_TICKET, params))
    return result.rowcount > 0


def assignment(session: Session, assignment_id: str | None) -> Row[Any] | None:
    if assignment_id is None:
        return None
    return session.execute(_ASSIGNMENT, {"b_assignment_id": assignment_id}).first()


def add_assignment(session: Session, **values: Any) -> None:
    session.execute(_INSERT_ASSIGNMENT, values)


def update_assignment(session: Session, assignment_id: str, **values: Any) -> None:
    session.execute(_UPDATE_ASSIGNMENT, {"b_assignment_id": assignment_id, **values})


def set_first(
    session: Session, assignment_id: str, column: str, at: datetime, **with_it: Any
) -> None:
    """Records the first time of `column`, and `with_it` along with it (a later repetition
    keeps the first)."""
    params = {"b_assignment_id": assignment_id, column: at, **with_it}
    session.execute(_set_first(column), params)


@cache
def _set_first(column: str) -> Update:
    # One statement per column, built on first use (see the note on statements above).
    return update(assignments).where(
        assignments.c.assignment_id == bindparam("b_assignment_id"),
        assignments.c[column].is_(None),
    )


def remember_department(session: Session, code: str, name: str) -> None:
    known = session.execute(_DEPARTMENT_NAME, {"b_code": code}).first()
    if known is None:
        session.execute(_INSERT_DEPARTMENT, {"code": code, "name": name})
    elif known.name != name:
        session.execute(_UPDATE_DEPARTMENT, {"b_code": code, "name": name})


def department_codes(session: Session) -> list[str]:
    return list(session.scalars(select(departments.c.code)))


def department_names(session: Session, codes: list[str]) -> dict[str, str]:
    query = select(departments.c.code, departments.c.name).where(departments.c.code.in_(codes))
    return {r.code: r.name for r in session.execute(query)}


def ticket_departments(session: Session, ticket_id: str) -> set[str]:
    query = select(assignments.c.department_code).where(assignments.c.ticket_id == ticket_id)
    return {r.department_code for r in session.execute(query)}


def assignments_of(session: Session, ticket_id: str) -> list[Row[Any]]:
    query = select(assignments).where(assignments.c.ticket_id == ticket_id)
    return list(session.execute(query.order_by(assignments.c.dispatched_at)))
