"""Invitations to rate: at most one pending per ticket. Helpers never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from services.feedback.adapters.orm import callbacks, invitations, tickets

PENDING = "pending"

# Built once, so SQLAlchemy's compiled cache is hit for every consumed event; the INSERT
# takes its columns, and the UPDATE its SET clause, from the parameters' keys.
_INSERT = insert(invitations)
_PENDING_OF_TICKET = update(invitations).where(
    invitations.c.ticket_id == bindparam("b_ticket_id"), invitations.c.status == PENDING
)


def get(session: Session, invitation_id: str) -> Row[Any] | None:
    query = select(invitations).where(invitations.c.invitation_id == invitation_id)
    return session.execute(query).first()


def pending_for(session: Session, ticket_id: str) -> Row[Any] | None:
    query = select(invitations).where(
        invitations.c.ticket_id == ticket_id, invitations.c.status == PENDING
    )
    return session.execute(query).first()


def add(session: Session, **values: Any) -> None:
    session.execute(_INSERT, {"status": PENDING, **values})


def supersede_pending(session: Session, ticket_id: str, now: datetime) -> None:
    params = {"b_ticket_id": ticket_id, "status": "superseded", "closed_at": now}
    session.execute(_PENDING_OF_TICKET, params)


def finish(session: Session, invitation_id: str, status: str, now: datetime) -> bool:
    """Moves a pending invitation to `status`; False if it was no longer pending (another
    request or instance got there first, and this one must change nothing)."""
    result = session.execute(
        update(invitations)
        .where(invitations.c.invitation_id == invitation_id, invitations.c.status == PENDING)
        .values(status=status, closed_at=now)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def due_for_expiry(session: Session, now: datetime, limit: int) -> list[Row[Any]]:
    query = (
        select(invitations.c.invitation_id, invitations.c.ticket_id)
        .where(invitations.c.status == PENDING, invitations.c.expires_at <= now)
        .order_by(invitations.c.expires_at)
        .limit(limit)
    )
    return list(session.execute(query))


def awaiting_callback(session: Session, limit: int) -> list[Row[Any]]:
    """Pending invitations of callers who left a number, oldest first, with what an agent
    needs to call back (anonymous tickets close by expiry: nobody can be called)."""
    attempts = (
        select(callbacks.c.invitation_id, func.count().label("n"))
        .group_by(callbacks.c.invitation_id)
        .subquery("attempts")
    )
    query = (
        select(
            invitations,
            tickets.c.number,
            tickets.c.category,
            attempts.c.n.label("attempts"),
        )
        .join(tickets, tickets.c.ticket_id == invitations.c.ticket_id, isouter=True)
        .join(attempts, attempts.c.invitation_id == invitations.c.invitation_id, isouter=True)
        .where(invitations.c.status == PENDING, tickets.c.has_phone.is_(True))
        .order_by(invitations.c.created_at)
        .limit(limit)
    )
    return list(session.execute(query))


def of_ticket(session: Session, ticket_id: str) -> list[Row[Any]]:
    query = select(invitations).where(invitations.c.ticket_id == ticket_id)
    return list(session.execute(query.order_by(invitations.c.created_at)))


def count_pending(session: Session) -> int:
    query = select(func.count()).where(invitations.c.status == PENDING)
    return int(session.execute(query).scalar_one())
