"""Callers' personal data as the privacy use cases need it: references, the audit trail,
retention and erasure. Inside the caller's transaction; never commits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from proto.audit import PersonalDataAccessed
from proto.envelope import Envelope
from services.intake.adapters.orm import calls, privacy_audit, sms_messages, tickets
from services.intake.domain.model import new_caller_ref
from services.intake.handlers.ports import AuditEntry

_REF_OF_KEY = select(calls.c.caller_ref).where(calls.c.caller_ref.is_not(None)).limit(1)


def caller_ref(session: Session, key: str | None) -> str | None:
    """The reference this number was given before (found by its keyed hash, which never
    leaves intake), or a new random one; None for an anonymous call."""
    if key is None:
        return None
    found = session.execute(_REF_OF_KEY.where(calls.c.caller_key == key)).scalar()
    return found or new_caller_ref()


# The unit of work's `publish`: the event goes to the outbox in the same transaction.
Publish = Callable[..., Envelope]
_NUMBER_OF = select(tickets.c.number)


def record(session: Session, entry: AuditEntry) -> PersonalDataAccessed:
    """Writes the line and returns the audit event that tells the audit log of it: who,
    which ticket (by its id and the number people read), what and why; never the number
    nor the caller's reference."""
    session.execute(insert(privacy_audit).values(**entry.__dict__))
    number = None
    if entry.ticket_id is not None:
        number = session.execute(_NUMBER_OF.where(tickets.c.id == entry.ticket_id)).scalar()
    return PersonalDataAccessed(
        action=entry.action,
        outcome=entry.outcome,
        reason=entry.reason,
        ticket_id=entry.ticket_id,
        ticket_number=number,
        by=entry.actor,
        at=entry.at,
    )


def audit_page(
    session: Session, actions: tuple[str, ...], before: int | None, limit: int
) -> list[dict[str, Any]]:
    """Newest first; `before` is the id of the last entry of the previous page."""
    query = (
        select(privacy_audit)
        .where(privacy_audit.c.action.in_(actions))
        .order_by(privacy_audit.c.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(privacy_audit.c.id < before)
    return [dict(r._mapping) for r in session.execute(query)]


def closed_with_numbers(session: Session, cutoff: datetime, limit: int) -> list[str]:
    """Tickets closed before `cutoff` that still hold a caller's number."""
    query = (
        select(calls.c.ticket_id)
        .join(tickets, tickets.c.id == calls.c.ticket_id)
        .where(tickets.c.closed_at < cutoff, calls.c.caller_cipher.is_not(None))
        .distinct()
        .limit(limit)
    )
    return list(session.execute(query).scalars())


def forget_numbers(session: Session, ticket_ids: list[str]) -> None:
    """Erases the numbers (and their keyed hashes) of these tickets' callers; the masked
    form stays, so the record still reads 138****5678."""
    session.execute(
        update(calls)
        .where(calls.c.ticket_id.in_(ticket_ids))
        .values(caller_cipher=None, caller_key=None)
    )
    session.execute(update(tickets).where(tickets.c.id.in_(ticket_ids)).values(caller_key=None))


def calls_of_caller(session: Session, key: str) -> list[dict[str, Any]]:
    """Every call that still holds this number, oldest first, with its ticket."""
    query = (
        select(
            calls.c.id.label("call_id"),
            calls.c.ticket_id,
            calls.c.channel,
            calls.c.request_type,
            calls.c.description,
            calls.c.caller_masked,
            calls.c.caller_ref,
            calls.c.taken_at,
            tickets.c.number.label("ticket_number"),
            tickets.c.category_path,
            tickets.c.address,
            tickets.c.status,
            tickets.c.created_at,
            tickets.c.closed_at,
        )
        .join(tickets, tickets.c.id == calls.c.ticket_id)
        .where(calls.c.caller_key == key)
        .order_by(calls.c.taken_at)
    )
    return [dict(r._mapping) for r in session.execute(query)]


def erase_caller(session: Session, key: str, ticket_ids: list[str]) -> None:
    """Erases the number in every form (encrypted, keyed hash, masked) from the caller's
    calls, tickets and texts. What they said stays: it is the record of the city's work."""
    gone = {"caller_cipher": None, "caller_key": None, "caller_masked": None}
    session.execute(update(calls).where(calls.c.caller_key == key).values(**gone))
    session.execute(
        update(tickets)
        .where(tickets.c.caller_key == key)
        .values(caller_key=None, caller_masked=None)
    )
    session.execute(
        update(sms_messages)
        .where(sms_messages.c.ticket_id.in_(ticket_ids))
        .values(caller_masked=None)
    )
