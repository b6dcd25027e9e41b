"""The local SMS outbox: texts waiting for, or done with, the gateway. Each send is claimed
for a short lease first, so several intake instances never text the same message twice at
once, and no database transaction stays open while the gateway answers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from proto.envelope import new_id
from services.intake.adapters.orm import sms_messages
from services.intake.domain.sms import SmsStatus
from services.intake.handlers.ports import Outgoing

# How long a claimed message is left alone; longer than any gateway timeout.
LEASE = timedelta(seconds=60)


def enqueue(session: Session, message: Outgoing, status: SmsStatus, at: datetime) -> str:
    """Stores a text to send now (pending) or a record that it cannot be sent."""
    message_id = new_id()
    session.execute(
        insert(sms_messages).values(
            id=message_id,
            **message.__dict__,
            status=status.value,
            attempts=0,
            next_attempt_at=at if status is SmsStatus.pending else None,
            created_at=at,
        )
    )
    return message_id


def due(session: Session, now: datetime, limit: int) -> list[str]:
    query = (
        select(sms_messages.c.id)
        .where(sms_messages.c.status == "pending", sms_messages.c.next_attempt_at <= now)
        .order_by(sms_messages.c.next_attempt_at)
        .limit(limit)
    )
    return list(session.execute(query).scalars())


def claim(session: Session, message_id: str, now: datetime) -> dict[str, Any] | None:
    """Takes the message for one attempt if it is still due; None if another took it."""
    taken = session.execute(  # type: ignore[attr-defined]  # a CursorResult for an UPDATE
        update(sms_messages)
        .where(
            sms_messages.c.id == message_id,
            sms_messages.c.status == "pending",
            sms_messages.c.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + LEASE)
    ).rowcount
    if not taken:
        return None
    row = session.execute(select(sms_messages).where(sms_messages.c.id == message_id)).one()
    return dict(row._mapping)


def settle(
    session: Session,
    message_id: str,
    status: SmsStatus,
    attempts: int,
    at: datetime,
    next_at: datetime | None = None,
    error: str | None = None,
    text: str | None = None,
) -> None:
    """Records an attempt's outcome; `text`, when given, replaces the stored text."""
    values = {
        "status": status.value,
        "attempts": attempts,
        "next_attempt_at": next_at,
        "last_error": error[:500] if error else None,
        "sent_at": at if status is SmsStatus.sent else None,
    }
    if text is not None:
        values["text"] = text
    session.execute(update(sms_messages).where(sms_messages.c.id == message_id).values(values))


def recent(session: Session, limit: int, status: str | None = None) -> list[dict[str, Any]]:
    query = select(sms_messages).order_by(sms_messages.c.created_at.desc()).limit(limit)
    if status:
        query = query.where(sms_messages.c.status == status)
    return [dict(r._mapping) for r in session.execute(query)]
