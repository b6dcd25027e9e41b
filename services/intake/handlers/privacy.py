"""Use cases on callers' personal data: showing a number for the work (and recording every
reveal and refusal), the audit trail, the retention sweep, and a caller's export or erasure
on request (PIPL art. 45, 47). Each is one transaction; the audit entry commits with it."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from services.common.auth import Principal
from services.common.errors import Conflict, Invalid, NotFound, Refused
from services.intake import metrics
from services.intake.domain.model import Call, InvalidPhone, normalise_phone
from services.intake.domain.privacy import (
    Reason,
    TakenCall,
    callback_due,
    may_reveal,
    retention_cutoff,
)
from services.intake.handlers.context import IntakeContext
from services.intake.handlers.ports import AuditEntry, UnitOfWork

SYSTEM = "system"
# As the inbox takes a sender's address (services/intake/domain/mail.py), lower-cased.
EMAIL = re.compile(r"[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9.-]+\.[a-z]{2,}")
REVEALS = ("reveal",)
EVERYTHING = ("reveal", "export", "erase", "retention")


def reveal_for_call(intake: IntakeContext, call_id: str, agent: Principal) -> str:
    """The number of a call, for the agent who took it, within the reveal window."""
    now = intake.clock()
    with intake.uow() as uow:
        call = uow.calls.get(call_id)
        if call is None:
            raise NotFound("intake.call_not_found", id=call_id)
        taken = TakenCall(call.taken_by, call.taken_at, call.caller_cipher is not None)
        allowed = may_reveal(taken, agent.username, now, intake.reveal_window)
        entry = _reveal(agent, now, "logged", call.ticket_id, call, allowed)
        uow.audit.record(entry)
        uow.commit()  # before answering: a refusal is kept although the request fails
    metrics.PHONE_REVEALS.labels(entry.outcome).inc()
    if not allowed:
        hours = f"{intake.reveal_window.total_seconds() / 3600:g}"
        raise Refused("intake.reveal_forbidden", hours=hours)
    return intake.vault.open(call.caller_cipher or "")


def reveal_for_callback(intake: IntakeContext, ticket_id: str, agent: Principal) -> str:
    """The number texts about the ticket go to (its first caller with a number), for any
    agent while the ticket's callback (回访) is due."""
    now = intake.clock()
    with intake.uow() as uow:
        ticket = uow.tickets.get(ticket_id)
        if ticket is None:
            raise NotFound("intake.ticket_not_found", id=ticket_id)
        due = callback_due(ticket.callback_due_until, now)
        caller = uow.calls.first_caller(ticket_id) if due else None
        entry = _reveal(agent, now, "callback", ticket_id, caller, caller is not None)
        uow.audit.record(entry)
        uow.commit()  # before answering: a refusal is kept although the request fails
    metrics.PHONE_REVEALS.labels(entry.outcome).inc()
    if not due:
        raise Refused("intake.reveal_no_callback", id=ticket_id)
    if caller is None:
        raise Conflict("intake.reveal_no_number", id=ticket_id)
    return intake.vault.open(caller.caller_cipher or "")


def _reveal(
    agent: Principal, now: datetime, reason: Reason, ticket_id: str, call: Call | None, shown: bool
) -> AuditEntry:
    return AuditEntry(
        at=now,
        actor=agent.username,
        action="reveal",
        outcome="revealed" if shown else "refused",
        reason=reason,
        ticket_id=ticket_id,
        call_id=call.id if call else None,
        caller_ref=call.caller_ref if call else None,
        records=1 if shown else 0,
    )


def audit(
    intake: IntakeContext, reveals_only: bool, before: int | None, limit: int
) -> list[dict[str, Any]]:
    with intake.uow() as uow:
        actions = REVEALS if reveals_only else EVERYTHING
        return uow.audit.page(actions, before, limit)


def erase_expired(intake: IntakeContext, retention_days: int, batch: int = 200) -> int:
    """Erases the numbers of up to `batch` tickets closed more than `retention_days` ago
    (the masked form stays) and records the sweep; returns how many tickets it erased."""
    now = intake.clock()
    with intake.uow() as uow:
        cutoff = retention_cutoff(now, retention_days)
        ticket_ids = uow.callers.closed_with_numbers(cutoff, batch)
        if not ticket_ids:
            return 0
        uow.callers.forget_numbers(ticket_ids)
        entry = AuditEntry(
            now, SYSTEM, "retention", "done", f"closed>{retention_days}d", records=len(ticket_ids)
        )
        uow.audit.record(entry)
        uow.commit()
    metrics.NUMBERS_ERASED.labels("retention").inc(len(ticket_ids))
    return len(ticket_ids)


def export_caller(intake: IntakeContext, phone: str, admin: Principal) -> dict[str, Any]:
    """Everything intake holds about the caller with this number (their copy, art. 45)."""
    now = intake.clock()
    with intake.uow() as uow:
        number, _, found = _caller(intake, uow, phone)
        _record_request(uow, admin, now, "export", found)
        uow.commit()
    return {"phone": number, "exported_at": now, "calls": found}


def erase_caller(intake: IntakeContext, phone: str, admin: Principal) -> int:
    """Erases the number in every form from the caller's calls, tickets and texts
    (art. 47); returns how many calls held it."""
    now = intake.clock()
    with intake.uow() as uow:
        _, key, found = _caller(intake, uow, phone)
        uow.callers.erase(key, sorted({c["ticket_id"] for c in found}))
        _record_request(uow, admin, now, "erase", found)
        uow.commit()
    metrics.NUMBERS_ERASED.labels("request").inc(len(found))
    return len(found)


def export_sender(intake: IntakeContext, email: str, admin: Principal) -> dict[str, Any]:
    """Everything intake holds about the citizen who wrote from this address: their
    messages, the tickets they became and the answers sent (their copy, art. 45)."""
    now = intake.clock()
    with intake.uow() as uow:
        address, found = _sender(intake, uow, email)
        _record_request(uow, admin, now, "export", found)
        uow.commit()
    return {"email": address, "exported_at": now, "messages": found}


def erase_sender(intake: IntakeContext, email: str, admin: Principal) -> int:
    """Erases the address in every form from the sender's messages and their answers (an
    answer not yet sent is given up) (art. 47); returns how many messages held it."""
    now = intake.clock()
    with intake.uow() as uow:
        _, found = _sender(intake, uow, email)
        uow.mail.erase_sender([m["mail_id"] for m in found])
        _record_request(uow, admin, now, "erase", found)
        uow.commit()
    return len(found)


def _sender(intake: IntakeContext, uow: UnitOfWork, email: str) -> tuple[str, list[dict[str, Any]]]:
    """The address as the inbox keeps it (lower case), and the messages that still hold it."""
    address = email.strip().lower()
    if not EMAIL.fullmatch(address):
        raise Invalid("intake.invalid_email", field="email")
    found = uow.mail.messages_of_sender(intake.vault.key_of(address))
    if not found:
        raise NotFound("intake.caller_not_found")
    return address, found


def _caller(
    intake: IntakeContext, uow: UnitOfWork, phone: str
) -> tuple[str, str, list[dict[str, Any]]]:
    """The number normalised, its keyed hash, and the calls that still hold it."""
    try:
        number = normalise_phone(phone)
    except InvalidPhone:
        raise Invalid("intake.invalid_phone", field="phone") from None
    key = intake.vault.key_of(number)
    found = uow.callers.calls_of(key)
    if not found:
        raise NotFound("intake.caller_not_found")
    return number, key, found


def _record_request(
    uow: UnitOfWork, admin: Principal, now: datetime, action: str, found: list[dict[str, Any]]
) -> None:
    ticketed = [f for f in found if f["ticket_id"]] or found  # a sender's mail may be no ticket
    entry = AuditEntry(
        now,
        admin.username,
        action,
        "done",
        "request",
        ticket_id=ticketed[0]["ticket_id"],
        caller_ref=ticketed[0]["caller_ref"],
        records=len(found),
    )
    uow.audit.record(entry)
