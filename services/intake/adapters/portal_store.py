"""The citizen portal's tables: one-time codes, tracking revocations, the citizen's
timeline, text opt-outs and hidden numbers. Inside the caller's transaction; never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from services.common.db import upsert
from services.intake.adapters.orm import (
    citizen_timeline,
    hidden_numbers,
    portal_codes,
    sms_messages,
    text_optouts,
    tickets,
    tracking_revocations,
)
from services.intake.domain.otp import MAX_ATTEMPTS, Code
from services.intake.domain.portal import Entry

_C = portal_codes.c


def add_code(session: Session, code: Code) -> None:
    session.execute(insert(portal_codes).values(**code.__dict__))


def get_code(session: Session, code_id: str) -> Code | None:
    row = session.execute(select(portal_codes).where(_C.id == code_id)).first()
    return Code(**row._mapping) if row else None


def by_proof(session: Session, proof_hash: str) -> Code | None:
    row = session.execute(select(portal_codes).where(_C.proof_hash == proof_hash)).first()
    return Code(**row._mapping) if row else None


def codes_since(session: Session, column: str, key: str, since: datetime) -> int:
    """Codes asked for by one number (`phone_key`) or client (`client_key`) since `since`."""
    query = select(func.count()).where(_C[column] == key, _C.created_at >= since)
    return int(session.execute(query).scalar_one())


def reports_since(session: Session, column: str, key: str, since: datetime) -> int:
    query = select(func.count()).where(
        _C[column] == key, _C.created_at >= since, _C.used_at >= since
    )
    return int(session.execute(query).scalar_one())


def take_attempt(session: Session, code_id: str, now: datetime) -> bool:
    """Counts one attempt if the code may still take one; atomic, so parallel guesses
    cannot pass the limit."""
    taken = session.execute(  # type: ignore[attr-defined]  # a CursorResult for an UPDATE
        update(portal_codes)
        .where(
            _C.id == code_id,
            _C.attempts < MAX_ATTEMPTS,
            _C.verified_at.is_(None),
            _C.expires_at > now,
        )
        .values(attempts=_C.attempts + 1)
    ).rowcount
    return bool(taken)


def verify(session: Session, code_id: str, at: datetime, proof_hash: str | None) -> None:
    session.execute(
        update(portal_codes).where(_C.id == code_id).values(verified_at=at, proof_hash=proof_hash)
    )


def use_proof(session: Session, code_id: str, at: datetime | None) -> bool:
    """Marks the proof used; False if another report used it first. None gives it back."""
    taken = _C.used_at.is_(None) if at else _C.used_at.is_not(None)
    used = session.execute(  # type: ignore[attr-defined]
        update(portal_codes).where(_C.id == code_id, taken).values(used_at=at)
    ).rowcount
    return bool(used)


def purge(session: Session, before: datetime, limit: int) -> int:
    """Forgets up to `limit` codes asked for before `before`, and the encrypted numbers of
    code texts as old (the text stays in the outbox, masked): nothing of a citizen who
    never reported stays longer than the throttles need."""
    old = select(_C.id).where(_C.created_at < before).limit(limit)
    gone = session.execute(delete(portal_codes).where(_C.id.in_(old.scalar_subquery())))
    s = sms_messages.c
    session.execute(
        update(sms_messages)
        .where(s.recipient_cipher.is_not(None), s.created_at < before)
        .values(recipient_cipher=None)
    )
    return int(gone.rowcount)  # type: ignore[attr-defined]  # a CursorResult for a DELETE


def ticket_by_number(session: Session, number: str) -> str | None:
    query = select(tickets.c.id).where(tickets.c.number == number)
    return session.execute(query).scalar_one_or_none()


def revoked_at(session: Session, ticket_id: str) -> datetime | None:
    query = select(tracking_revocations.c.revoked_at).where(
        tracking_revocations.c.ticket_id == ticket_id
    )
    return session.execute(query).scalar_one_or_none()


def revoke(session: Session, ticket_id: str, at: datetime) -> None:
    dialect = session.get_bind().dialect.name
    session.execute(
        upsert(dialect, tracking_revocations)
        .values(ticket_id=ticket_id, revoked_at=at)
        .on_conflict_do_update(index_elements=["ticket_id"], set_={"revoked_at": at})
    )


def add_entry(session: Session, event_id: str, ticket_id: str, entry: Entry) -> None:
    """Once per event: a redelivered event adds nothing."""
    dialect = session.get_bind().dialect.name
    values: dict[str, Any] = {**entry.__dict__, "photos": list(entry.photos)}
    session.execute(
        upsert(dialect, citizen_timeline)
        .values(event_id=event_id, ticket_id=ticket_id, **values)
        .on_conflict_do_nothing(index_elements=["event_id"])
    )


def entries(session: Session, ticket_id: str) -> list[Entry]:
    t = citizen_timeline.c
    query = (
        select(t.kind, t.at, t.department, t.text, t.photos)
        .where(t.ticket_id == ticket_id)
        .order_by(t.at)
    )
    return [
        Entry(r.kind, r.at, r.department, r.text, tuple(r.photos or ()))
        for r in session.execute(query)
    ]


def opted_out(session: Session, caller_key: str | None) -> bool:
    if caller_key is None:
        return False
    query = select(text_optouts.c.caller_key).where(text_optouts.c.caller_key == caller_key)
    return session.execute(query).first() is not None


def set_texts(session: Session, caller_key: str, receive: bool, at: datetime) -> None:
    session.execute(delete(text_optouts).where(text_optouts.c.caller_key == caller_key))
    if not receive:
        session.execute(insert(text_optouts).values(caller_key=caller_key, at=at))


def hide_number(session: Session, ticket_id: str, at: datetime) -> None:
    session.execute(insert(hidden_numbers).values(ticket_id=ticket_id, at=at))


def number_hidden(session: Session, ticket_id: str) -> bool:
    query = select(hidden_numbers.c.ticket_id).where(hidden_numbers.c.ticket_id == ticket_id)
    return session.execute(query).first() is not None
