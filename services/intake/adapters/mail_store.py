"""The email inbox's tables: the mailbox lease (one poller at a time across intake
instances), the messages read (never twice), and the answers' outbox, each answer claimed
until a given time per attempt like the SMS outbox, so no transaction stays open while SMTP
answers, and an answer whose sender died is tried again once its claim runs out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session

from proto.envelope import new_id
from services.common.db import upsert
from services.intake.adapters.orm import mail_mailboxes, mail_messages, mail_outbox, tickets
from services.intake.domain.mail import Place, Read, Reply, ReplyStatus


def lease(session: Session, mailbox: str, holder: str, now: datetime, until: datetime) -> bool:
    dialect = session.get_bind().dialect.name
    session.execute(
        upsert(dialect, mail_mailboxes).values(mailbox=mailbox).on_conflict_do_nothing()
    )
    free = or_(
        mail_mailboxes.c.holder == holder,
        mail_mailboxes.c.holder.is_(None),
        mail_mailboxes.c.lease_until < now,
    )
    taken = session.execute(  # type: ignore[attr-defined]  # a CursorResult for an UPDATE
        update(mail_mailboxes)
        .where(mail_mailboxes.c.mailbox == mailbox, free)
        .values(holder=holder, lease_until=until)
    ).rowcount
    return bool(taken)


def release(session: Session, mailbox: str, holder: str, now: datetime) -> None:
    session.execute(
        update(mail_mailboxes)
        .where(mail_mailboxes.c.mailbox == mailbox, mail_mailboxes.c.holder == holder)
        .values(holder=None, lease_until=now)
    )


def forget_senders(session: Session, cutoff: datetime, limit: int) -> int:
    """Erases the addresses (and their keyed hashes) of messages whose ticket closed before
    `cutoff`, or that became no ticket and arrived before it; the masked form stays."""
    closed = select(tickets.c.id).where(tickets.c.closed_at < cutoff)
    old = or_(
        mail_messages.c.ticket_id.in_(closed),
        mail_messages.c.ticket_id.is_(None) & (mail_messages.c.received_at < cutoff),
    )
    ids = select(mail_messages.c.id).where(mail_messages.c.sender_cipher.is_not(None), old)
    found = list(session.execute(ids.limit(limit)).scalars())
    if found:
        session.execute(
            update(mail_messages)
            .where(mail_messages.c.id.in_(found))
            .values(sender_cipher=None, sender_key=None)
        )
    return len(found)


def messages_of_sender(session: Session, sender_key: str) -> list[dict[str, Any]]:
    """Every message that still holds this sender's address, oldest first, with its ticket
    (if it became one) and its answer (if one was queued)."""
    query = (
        select(
            mail_messages.c.id.label("mail_id"),
            mail_messages.c.message_id,
            mail_messages.c.state,
            mail_messages.c.received_at,
            mail_messages.c.sender_masked,
            mail_messages.c.note,
            mail_messages.c.ticket_id,
            tickets.c.number.label("ticket_number"),
            tickets.c.caller_ref,
            tickets.c.description,
            tickets.c.status,
            mail_outbox.c.status.label("answer_status"),
            mail_outbox.c.sent_at.label("answer_sent_at"),
        )
        .outerjoin(tickets, tickets.c.id == mail_messages.c.ticket_id)
        .outerjoin(mail_outbox, mail_outbox.c.mail_id == mail_messages.c.id)
        .where(mail_messages.c.sender_key == sender_key)
        .order_by(mail_messages.c.received_at, mail_messages.c.id)
    )
    return [dict(r._mapping) for r in session.execute(query)]


def erase_sender(session: Session, mail_ids: list[str]) -> None:
    """Erases the address in every form from these messages and their answers; an answer
    not yet sent is given up (it has nowhere to go). What they said stays."""
    session.execute(
        update(mail_messages)
        .where(mail_messages.c.id.in_(mail_ids))
        .values(sender_key=None, sender_cipher=None, sender_masked=None)
    )
    answers = mail_outbox.c.mail_id.in_(mail_ids)
    session.execute(
        update(mail_outbox)
        .where(answers, mail_outbox.c.status == "pending")
        .values(status="failed", next_attempt_at=None, last_error="address erased on request")
    )
    session.execute(update(mail_outbox).where(answers).values(to_cipher=None, to_masked=""))


def known(session: Session, place: Place) -> bool:
    query = select(mail_messages.c.id).where(
        mail_messages.c.mailbox == place.mailbox,
        mail_messages.c.uidvalidity == place.uidvalidity,
        mail_messages.c.uid == place.uid,
    )
    return session.execute(query).first() is not None


def ticket_of(session: Session, message_id: str) -> str | None:
    query = (
        select(mail_messages.c.ticket_id)
        .where(mail_messages.c.message_id == message_id, mail_messages.c.state == "ticket")
        .limit(1)
    )
    return session.execute(query).scalar()


def sender_ref(session: Session, sender_key: str) -> str | None:
    query = (
        select(tickets.c.caller_ref)
        .join(mail_messages, mail_messages.c.ticket_id == tickets.c.id)
        .where(mail_messages.c.sender_key == sender_key, tickets.c.caller_ref.is_not(None))
        .limit(1)
    )
    return session.execute(query).scalar()


def record(session: Session, read: Read) -> str:
    mail_id = new_id()
    values = {k: v for k, v in read.__dict__.items() if k not in {"place", "at", "state"}}
    session.execute(
        insert(mail_messages).values(
            id=mail_id,
            mailbox=read.place.mailbox,
            uidvalidity=read.place.uidvalidity,
            uid=read.place.uid,
            state=read.state.value,
            received_at=read.at,
            **values,
        )
    )
    return mail_id


def queue(session: Session, reply: Reply, at: datetime) -> str:
    reply_id = new_id()
    session.execute(
        insert(mail_outbox).values(
            id=reply_id,
            **reply.__dict__,
            status=ReplyStatus.pending.value,
            attempts=0,
            next_attempt_at=at,
            created_at=at,
        )
    )
    return reply_id


def due(session: Session, now: datetime, limit: int) -> list[str]:
    query = (
        select(mail_outbox.c.id)
        .where(mail_outbox.c.status == "pending", mail_outbox.c.next_attempt_at <= now)
        .order_by(mail_outbox.c.next_attempt_at)
        .limit(limit)
    )
    return list(session.execute(query).scalars())


def claim(
    session: Session, reply_id: str, now: datetime, until: datetime, holder: str = ""
) -> dict[str, Any] | None:
    taken = session.execute(  # type: ignore[attr-defined]  # a CursorResult for an UPDATE
        update(mail_outbox)
        .where(
            mail_outbox.c.id == reply_id,
            mail_outbox.c.status == "pending",
            mail_outbox.c.next_attempt_at <= now,
        )
        .values(next_attempt_at=until, claimed_by=holder or None)
    ).rowcount
    if not taken:
        return None
    row = session.execute(select(mail_outbox).where(mail_outbox.c.id == reply_id)).one()
    return dict(row._mapping)


def unclaim(session: Session, holder: str, now: datetime) -> int:
    pending = (mail_outbox.c.status == "pending") & (mail_outbox.c.next_attempt_at > now)
    return int(
        session.execute(  # type: ignore[attr-defined]  # a CursorResult for an UPDATE
            update(mail_outbox)
            .where(pending, mail_outbox.c.claimed_by == holder)
            .values(next_attempt_at=now, claimed_by=None)
        ).rowcount
    )


def waiting(session: Session) -> int:
    query = select(func.count()).select_from(mail_outbox).where(mail_outbox.c.status == "pending")
    return int(session.execute(query).scalar_one())


def settle(
    session: Session,
    reply_id: str,
    status: ReplyStatus,
    attempts: int,
    at: datetime,
    next_at: datetime | None = None,
    error: str | None = None,
) -> None:
    values = {
        "status": status.value,
        "attempts": attempts,
        "next_attempt_at": next_at,
        "last_error": error[:500] if error else None,
        "sent_at": at if status is ReplyStatus.sent else None,
        "claimed_by": None,
    }
    if status is not ReplyStatus.pending:
        values["to_cipher"] = None  # done with: only the masked address stays
    session.execute(update(mail_outbox).where(mail_outbox.c.id == reply_id).values(values))
