"""Reads and writes tickets inside the caller's transaction; never commits."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Row, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from services.intake.adapters.orm import ticket_counters, tickets
from services.intake.domain.model import Ticket

_FIELDS = [c.name for c in tickets.columns]


def next_sequence(session: Session, day: date) -> int:
    """Atomic per-day counter: one upsert, so concurrent calls never share a number."""
    dialect = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        dialect(ticket_counters)
        .values(day=day, last=1)
        .on_conflict_do_update(
            index_elements=[ticket_counters.c.day], set_={"last": ticket_counters.c.last + 1}
        )
        .returning(ticket_counters.c.last)
    )
    return int(session.execute(stmt).scalar_one())


def add(session: Session, ticket: Ticket) -> None:
    session.execute(insert(tickets).values({f: getattr(ticket, f) for f in _FIELDS}))


def _to_ticket(row: Row[tuple[object, ...]]) -> Ticket:
    return Ticket(**row._mapping)


def get(session: Session, ticket_id: str) -> Ticket | None:
    row = session.execute(select(tickets).where(tickets.c.id == ticket_id)).first()
    return _to_ticket(row) if row else None


def recent(session: Session, created_by: str | None, limit: int) -> list[Ticket]:
    query = select(tickets).order_by(tickets.c.created_at.desc()).limit(limit)
    if created_by is not None:
        query = query.where(tickets.c.created_by == created_by)
    return [_to_ticket(r) for r in session.execute(query)]


def set_status(session: Session, ticket_id: str, status: str, department_name: str) -> None:
    session.execute(
        update(tickets)
        .where(tickets.c.id == ticket_id)
        .values(status=status, department_name=department_name)
    )
