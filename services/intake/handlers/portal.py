"""The citizen portal's use cases: a one-time code to the citizen's number, its check, and
the report it vouches for, logged through the same log_call as a phone call (channel web).

A report takes three short transactions: the proof taken (atomically, so two reports sent
at once with one proof make one ticket), log_call's (the ticket, its call and events, all or
nothing), then the portal's own (the accepted text queued, the number hidden if asked). A
form log_call refuses gives the proof back, so nothing is left behind and the citizen fixes
the form and sends it again with the same proof; the route's Idempotency-Key makes a retry
of a report that took effect return its first answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from proto.envelope import new_id
from services.common.auth import Principal, Role
from services.common.errors import DomainError, Gone, Invalid
from services.intake.domain import otp
from services.intake.domain.model import (
    MOBILE,
    InvalidPhone,
    LogCall,
    Ticket,
    mask_phone,
    normalise_phone,
)
from services.intake.domain.portal import Pinned, code_text, pin
from services.intake.domain.sms import SmsStatus
from services.intake.handlers.calls import log_call
from services.intake.handlers.context import IntakeContext
from services.intake.handlers.ports import Outgoing, UnitOfWork
from services.intake.handlers.tracking import queue_accepted

# Who logs a portal report: the citizen, through the portal (no staff account).
PORTAL = Principal(username="portal", name="市民网站", role=Role.agent)


class Throttled(DomainError):
    """Too many codes or reports from one number or one client address for now."""


@dataclass(frozen=True)
class CodeSent:
    id: str
    expires_at: datetime


@dataclass(frozen=True)
class Report:
    """What the citizen filled in; `category_code`/`area_code` None when they could not
    pin one down (then `address` says the place in their words)."""

    phone: str
    proof: str
    request_type: str
    category_code: str | None
    area_code: str | None
    address: str | None
    description: str
    photos: tuple[str, ...] = ()
    hide_number: bool = False


@dataclass(frozen=True)
class Submitted:
    ticket_id: str
    number: str
    tracking_url: str
    review: str


def mobile(raw: str) -> str:
    """The normalised mobile number a code can be texted to."""
    try:
        phone = normalise_phone(raw)
    except InvalidPhone:
        raise Invalid("intake.invalid_phone", field="phone") from None
    if not MOBILE.match(phone):
        raise Invalid("intake.portal.not_mobile", field="phone")
    return phone


def request_code(intake: IntakeContext, raw_phone: str, client: str) -> CodeSent:
    """Texts a code for reporting from this number; throttled per number and per client."""
    phone = mobile(raw_phone)
    phone_key = intake.vault.key_of(phone)
    now = intake.clock()
    with intake.uow() as uow:
        client_key = _codes_allowed(intake, uow, phone_key, client, now)
        sent = _issue(intake, uow, "report", phone_key, client_key, None, now)
        _text_code(uow, sent, phone, intake.vault.seal(phone).cipher, None, now)
        uow.commit()
    return CodeSent(sent[0].id, sent[0].expires_at)


def request_tracking_code(intake: IntakeContext, number: str, client: str) -> CodeSent:
    """Texts a code to the number on ticket `number`, to open its tracking page. The same
    answer whether or not such a ticket (with a number) exists: the answer tells nothing."""
    now = intake.clock()
    with intake.uow() as uow:
        ticket_id = uow.portal.ticket_by_number(number)
        ticket = uow.tickets.get(ticket_id) if ticket_id else None
        if ticket is None or ticket.caller_key is None:
            return CodeSent(new_id(), now + otp.CODE_TTL)
        client_key = _codes_allowed(intake, uow, ticket.caller_key, client, now)
        sent = _issue(intake, uow, "track", ticket.caller_key, client_key, ticket.id, now)
        _text_code(uow, sent, None, None, ticket, now)
        uow.commit()
    return CodeSent(sent[0].id, sent[0].expires_at)


def verify_code(intake: IntakeContext, code_id: str, entered: str) -> otp.Code:
    """Counts the attempt; the verified code, or a refusal naming why (expired, used, too
    many attempts, or wrong with the attempts left). A report code comes back with the proof
    in `proof_hash`'s place (the only time it is known in clear)."""
    now = intake.clock()
    with intake.uow() as uow:
        taken = uow.portal.take_attempt(code_id, now)
        code = uow.portal.code(code_id)
        if not taken or code is None:
            uow.commit()
            raise _refused(otp.refusal(code, now) or "expired")
        if not otp.matches(intake.tracking.secret, code, entered):
            uow.commit()
            raise Invalid("intake.portal.wrong_code", field="code", left=otp.attempts_left(code))
        proof = otp.new_proof() if code.purpose == "report" else None
        uow.portal.verify(code.id, now, otp.proof_digest(proof) if proof else None)
        uow.commit()
    return otp.Code(**{**code.__dict__, "verified_at": now, "proof_hash": proof})


def submit(intake: IntakeContext, report: Report, client: str) -> Submitted:
    """The report as a ticket, once its proof vouches for the number; throttled per
    number and per client address."""
    phone = mobile(report.phone)
    phone_key = intake.vault.key_of(phone)
    now = intake.clock()
    code = _take_proof(intake, report.proof, phone_key, client, now)
    pinned = pin(report.category_code, report.area_code)
    try:
        ticket = log_call(intake, _command(report, pinned, phone), PORTAL).ticket
    except DomainError:
        with intake.uow() as uow:
            uow.portal.use_proof(code.id, None)
            uow.commit()
        raise
    with intake.uow() as uow:
        if report.hide_number:
            uow.portal.hide_number(ticket.id, now)
        queue_accepted(intake, uow, ticket, now)
        uow.commit()
    link = intake.tracking.link(ticket.id, now)
    return Submitted(ticket.id, ticket.number, link, pinned.review)


def _take_proof(
    intake: IntakeContext, proof: str, phone_key: str, client: str, now: datetime
) -> otp.Code:
    with intake.uow() as uow:
        code = uow.portal.by_proof(otp.proof_digest(proof))
        if code is None or otp.proof_refusal(code, phone_key, now):
            raise Invalid("intake.portal.unverified", field="proof")
        _reports_allowed(intake, uow, phone_key, client, now)
        if not uow.portal.use_proof(code.id, now):
            raise Invalid("intake.portal.unverified", field="proof")
        uow.commit()
    return code


def purge_expired(intake: IntakeContext, batch: int = 1000) -> int:
    """One batch of codes past every throttle's window forgotten; 0 when none is left."""
    with intake.uow() as uow:
        done = uow.portal.purge(intake.clock() - otp.KEPT, batch)
        uow.commit()
    return done


def _command(report: Report, pinned: Pinned, phone: str) -> LogCall:
    """A place the library could not pin down goes into the description, so the dispatcher
    reviewing it reads the citizen's own words."""
    description = report.description
    address = report.address or None
    if pinned.area_code is None and address:
        description = f"{description}\n（地点：{address}）"
        address = None
    return LogCall(
        channel="web",
        request_type=report.request_type,  # type: ignore[arg-type]  # checked by the API
        category_code=pinned.category_code,
        area_code=pinned.area_code,
        urgency="general",
        description=description,
        caller_phone=phone,
        address=address,
        photos=report.photos,
        review=pinned.review,
        hide_number=report.hide_number,
    )


def _codes_allowed(
    intake: IntakeContext, uow: UnitOfWork, phone_key: str, client: str, now: datetime
) -> str:
    client_key = otp.client_key(intake.tracking.secret, client)
    per_number = uow.portal.codes_since("phone_key", phone_key, otp.CODES_PER_NUMBER.since(now))
    per_client = uow.portal.codes_since("client_key", client_key, otp.CODES_PER_CLIENT.since(now))
    if otp.CODES_PER_NUMBER.exceeded_by(per_number) or otp.CODES_PER_CLIENT.exceeded_by(per_client):
        raise Throttled("intake.portal.too_many_codes")
    return client_key


def _reports_allowed(
    intake: IntakeContext, uow: UnitOfWork, phone_key: str, client: str, now: datetime
) -> None:
    client_key = otp.client_key(intake.tracking.secret, client)
    since = otp.REPORTS_PER_NUMBER.since(now)
    per_number = uow.portal.reports_since("phone_key", phone_key, since)
    since = otp.REPORTS_PER_CLIENT.since(now)
    per_client = uow.portal.reports_since("client_key", client_key, since)
    if otp.REPORTS_PER_NUMBER.exceeded_by(per_number) or otp.REPORTS_PER_CLIENT.exceeded_by(
        per_client
    ):
        raise Throttled("intake.portal.too_many_reports")


def _issue(
    intake: IntakeContext,
    uow: UnitOfWork,
    purpose: otp.Purpose,
    phone_key: str,
    client_key: str,
    ticket_id: str | None,
    now: datetime,
) -> tuple[otp.Code, str]:
    code_id, code = new_id(), otp.new_code()
    digest = otp.code_digest(intake.tracking.secret, code_id, code)
    issued = otp.issue(code_id, purpose, phone_key, client_key, ticket_id, digest, now)
    uow.portal.add_code(issued)
    return issued, code


def _text_code(
    uow: UnitOfWork,
    sent: tuple[otp.Code, str],
    phone: str | None,
    cipher: str | None,
    ticket: Ticket | None,
    now: datetime,
) -> None:
    """A code is texted whatever the citizen's opt-out: they asked for it. To a number on
    no ticket yet (`cipher`), or to the ticket's first caller."""
    issued, code = sent
    uow.sms.enqueue(
        Outgoing(
            request_id=f"code:{issued.id}",
            ticket_id=ticket.id if ticket else "",
            ticket_number=ticket.number if ticket else None,
            purpose="code",
            caller_masked=mask_phone(phone) if phone else _masked(ticket),
            text=code_text(code),
            recipient_cipher=cipher,
        ),
        SmsStatus.pending,
        now,
    )


def _masked(ticket: Ticket | None) -> str | None:
    return ticket.caller_masked if ticket else None


def _refused(why: otp.Refusal) -> DomainError:
    if why == "exhausted":
        return Throttled("intake.portal.code_exhausted")
    if why == "used":
        return Gone("intake.portal.code_used")
    return Gone("intake.portal.code_expired")
