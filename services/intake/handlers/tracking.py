"""Following a request: the citizen's tracking link (see services/intake/domain/tracking.py
for why it is signed and how it is revoked)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from proto.envelope import Envelope, Event
from services.common.errors import NotFound
from services.intake.domain.model import Ticket
from services.intake.domain.portal import Entry, accepted_text, entry_for, timeline
from services.intake.domain.sms import SmsStatus
from services.intake.handlers.context import IntakeContext
from services.intake.handlers.ports import Outgoing, UnitOfWork

Handler = Callable[..., None]


def tracking_link(intake: IntakeContext, ticket_id: str) -> str:
    """The absolute URL at which the ticket's citizen follows it. Needs no transaction, so
    any use case (an email reply, an Open311 answer, a text) may call it where it stands."""
    return intake.tracking.link(ticket_id, intake.clock())


@dataclass(frozen=True)
class Followed:
    """A ticket as its citizen sees it on the tracking page."""

    ticket_id: str
    number: str
    request_type: str
    category: str
    place: str
    status: str
    entries: list[Entry]
    texts: bool
    number_hidden: bool


def opened(intake: IntakeContext, uow: UnitOfWork, token: str) -> Ticket:
    """The ticket a tracking token opens; NotFound for a bad, expired or revoked link."""
    issued = intake.tracking.read(token, intake.clock())
    ticket = uow.tickets.get(issued.ticket_id) if issued else None
    if issued is None or ticket is None:
        raise NotFound("intake.portal.link_invalid")
    if not issued.valid_after(uow.portal.revoked_at(ticket.id)):
        raise NotFound("intake.portal.link_invalid")
    return ticket


def follow(intake: IntakeContext, token: str) -> Followed:
    with intake.uow() as uow:
        ticket = opened(intake, uow, token)
        later = uow.portal.entries(ticket.id)
        texts = not uow.portal.opted_out(ticket.caller_key)
        hidden = uow.portal.number_hidden(ticket.id)
    answered_at = ticket.closed_at if ticket.answer is not None else None
    return Followed(
        ticket_id=ticket.id,
        number=ticket.number,
        request_type=ticket.request_type,
        category=ticket.category_path[-1] if ticket.category_path else "",
        place="/".join(ticket.area_path),
        status=ticket.status,
        entries=timeline(ticket.created_at, ticket.answer, answered_at, later),
        texts=texts and ticket.caller_key is not None,
        number_hidden=hidden,
    )


def set_texts(intake: IntakeContext, token: str, receive: bool) -> bool:
    """Milestone texts on or off for the ticket's caller (every ticket of that number);
    codes the citizen asks for are sent either way."""
    with intake.uow() as uow:
        ticket = opened(intake, uow, token)
        if ticket.caller_key is None:
            raise NotFound("intake.portal.link_invalid")
        uow.portal.set_texts(ticket.caller_key, receive, intake.clock())
        uow.commit()
    return receive


def revoke(intake: IntakeContext, ticket_id: str) -> None:
    """Every tracking link of the ticket issued until now stops working."""
    with intake.uow() as uow:
        if uow.tickets.get(ticket_id) is None:
            raise NotFound("intake.ticket_not_found", id=ticket_id)
        uow.portal.revoke(ticket_id, intake.clock())
        uow.commit()


def queue_accepted(intake: IntakeContext, uow: UnitOfWork, ticket: Ticket, at: datetime) -> None:
    """The accepted text with the tracking link, unless the caller opted out."""
    if uow.portal.opted_out(ticket.caller_key):
        return
    text = accepted_text(ticket.number, intake.tracking.link(ticket.id, at))
    uow.sms.enqueue(
        Outgoing(
            request_id=f"accepted:{ticket.id}",
            ticket_id=ticket.id,
            ticket_number=ticket.number,
            purpose="accepted",
            caller_masked=ticket.caller_masked,
            text=text,
        ),
        SmsStatus.pending,
        at,
    )


def projecting(inner: Handler) -> Handler:
    """`inner`, then the citizen-safe entry the event makes (if any) on the timeline, in
    the same transaction."""

    def handle(uow: UnitOfWork, envelope: Envelope, event: Event) -> None:
        inner(uow, envelope, event)
        entry = entry_for(event)
        if entry is not None:
            uow.portal.add_entry(envelope.event_id, envelope.ticket_id, entry)

    return handle
