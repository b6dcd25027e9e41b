"""What feedback remembers of tickets, assignments and departments, from others' events.

Helpers run inside the caller's unit of work and never commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.orm import Session

from services.feedback.adapters.orm import assignments, departments, tickets


def ticket(session: Session, ticket_id: str) -> Row[Any] | None:
    return session.execute(select(tickets).where(tickets.c.ticket_id == ticket_id)).first()


def ensure_ticket(session: Session, ticket_id: str, now: datetime) -> Row[Any]:
    """The ticket's row, created as `open` when an event arrives before TicketCreated."""
    row = ticket(session, ticket_id)
    if row is None:
        session.execute(insert(tickets).values(ticket_id=ticket_id, status="open", updated_at=now))
        row = ticket(session, ticket_id)
    assert row is not None
    return row


def update_ticket(session: Session, ticket_id: str, now: datetime, **values: Any) -> None:
    session.execute(
        update(tickets).where(tickets.c.ticket_id == ticket_id).values(updated_at=now, **values)
    )


def assignment(session: Session, assignment_id: str | None) -> Row[Any] | None:
    if assignment_id is None:
        return None
    query = select(assignments).where(assignments.c.assignment_id == assignment_id)
    return session.execute(query).first()


def add_assignment(session: Session, **values: Any) -> None:
    session.execute(insert(assignments).values(**values))


def update_assignment(session: Session, assignment_id: str, **values: Any) -> None:
    session.execute(
        update(assignments).where(assignments.c.assignment_id == assignment_id).values(**values)
    )


def set_first(session: Session, assignment_id: str, column: str, at: datetime) -> None:
    """Records the first time of `column` (a later repetition keeps the first)."""
    col = assignments.c[column]
    session.execute(
        update(assignments)
        .where(assignments.c.assignment_id == assignment_id, col.is_(None))
        .values({column: at})
    )


def remember_department(session: Session, code: str, name: str) -> None:
    known = session.execute(select(departments.c.name).where(departments.c.code == code)).first()
    if known is None:
        session.execute(insert(departments).values(code=code, name=name))
    elif known.name != name:
        session.execute(update(departments).where(departments.c.code == code).values(name=name))


def department_names(session: Session, codes: list[str]) -> dict[str, str]:
    query = select(departments.c.code, departments.c.name).where(departments.c.code.in_(codes))
    return {r.code: r.name for r in session.execute(query)}


def ticket_departments(session: Session, ticket_id: str) -> set[str]:
    query = select(assignments.c.department_code).where(assignments.c.ticket_id == ticket_id)
    return {r.department_code for r in session.execute(query)}


def assignments_of(session: Session, ticket_id: str) -> list[Row[Any]]:
    query = select(assignments).where(assignments.c.ticket_id == ticket_id)
    return list(session.execute(query.order_by(assignments.c.dispatched_at)))
