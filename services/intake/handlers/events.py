"""What intake does with other services' events: keep the agent's view of each ticket's
status current, and queue the texts only intake can send (it alone knows the number).
Each runs inside the consumer's transaction, beside the inbox record."""

from __future__ import annotations

from collections.abc import Callable

from proto.assignments import (
    AssignmentAcknowledged,
    AssignmentDispatched,
    AssignmentResolved,
    AssignmentReturned,
    AssignmentSupervised,
    CitizenContacted,
    TicketQueuedForReview,
)
from proto.envelope import Envelope, Event
from proto.feedback import RatingRequested, ReopenRequested, TicketClosed, TicketRated
from proto.vocabulary import TicketStatus
from services.common.sealed_links import LinkSeal
from services.intake.domain.sms import SmsStatus, rating_text, redact_links
from services.intake.domain.tracking import TrackingSigner
from services.intake.handlers import photos
from services.intake.handlers.ports import Outgoing, UnitOfWork

# The status an agent sees after each assignment or feedback event.
STATUS: dict[str, TicketStatus] = {
    AssignmentDispatched.TYPE: "dispatched",
    TicketQueuedForReview.TYPE: "pending_review",
    AssignmentAcknowledged.TYPE: "acknowledged",
    CitizenContacted.TYPE: "in_progress",
    AssignmentResolved.TYPE: "resolved",
    AssignmentReturned.TYPE: "returned",
    AssignmentSupervised.TYPE: "supervised",
    RatingRequested.TYPE: "rating",
    TicketRated.TYPE: "rated",
}


def on_status(uow: UnitOfWork, envelope: Envelope, event: Event) -> None:
    """Moves the ticket to the status the event implies. A supervision taken off the list
    (督办 closed) implies none: the ticket is no longer under supervision."""
    if isinstance(event, AssignmentSupervised) and event.action == "closed":
        return
    uow.tickets.set_status(envelope.ticket_id, STATUS[envelope.type], envelope.occurred_at)


def on_dispatched(uow: UnitOfWork, envelope: Envelope, event: AssignmentDispatched) -> None:
    """Shows the agent where the ticket went (the lead department's name), and when it
    is to be resolved (Open311's expected_datetime)."""
    extra: dict[str, object] = {}
    if event.role == "lead":
        extra = {"department_name": event.department_name}
        extra["expected_at"] = event.deadlines.get("resolve")
    uow.tickets.set_status(envelope.ticket_id, "dispatched", envelope.occurred_at, **extra)


def on_resolved(uow: UnitOfWork, envelope: Envelope, event: AssignmentResolved) -> None:
    """The lead department's reply (办结答复) is what the public list shows as the
    request's status notes."""
    on_status(uow, envelope, event)
    if event.role == "lead":
        # Kept whatever the order of arrival: a later status does not make it stale.
        uow.open311.note(envelope.ticket_id, event.outcome)


# Events that carry photos a department took in the field.
FIELD_PHOTOS = (CitizenContacted.TYPE, AssignmentResolved.TYPE)


def with_field_photos(
    handler: Callable[[UnitOfWork, Envelope, Event], None],
    uow: UnitOfWork,
    envelope: Envelope,
    event: CitizenContacted | AssignmentResolved,
) -> None:
    """`handler`, and the photos a department took in the field kept with the ticket (an
    upload nobody attaches is purged after a day)."""
    handler(uow, envelope, event)
    if event.photos:
        photos.keep_field_photos(uow, event.photos, envelope.ticket_id, envelope.occurred_at)


def on_closed(uow: UnitOfWork, envelope: Envelope, event: TicketClosed) -> None:
    """Closed tickets leave the duplicates panel (a new call is a new ticket), and no
    callback is due any more."""
    uow.tickets.close(envelope.ticket_id, "closed", event.at)
    uow.tickets.set_callback_due(envelope.ticket_id, None)


def on_reopened(uow: UnitOfWork, envelope: Envelope, event: ReopenRequested) -> None:
    uow.tickets.reopen(envelope.ticket_id, event.at)
    uow.tickets.set_callback_due(envelope.ticket_id, None)


def on_rated(uow: UnitOfWork, envelope: Envelope, event: TicketRated) -> None:
    """The citizen answered: the callback is no longer due."""
    on_status(uow, envelope, event)
    uow.tickets.set_callback_due(envelope.ticket_id, None)


def on_rating_requested(
    seal: LinkSeal,
    uow: UnitOfWork,
    envelope: Envelope,
    event: RatingRequested,
    tracking: TrackingSigner | None = None,
) -> None:
    """Queues the rating link (and the ticket's tracking link) for the ticket's first
    caller (the SMS worker sends it, so a slow gateway never holds up this consumer or an
    agent), unless they opted out of texts; and opens the time in which any agent may call
    the citizen back (回访) until they answer."""
    on_status(uow, envelope, event)
    ticket = uow.tickets.get(envelope.ticket_id)
    if ticket is None:
        raise LookupError("RatingRequested for a ticket intake does not have")
    uow.tickets.set_callback_due(ticket.id, event.expires_at)
    caller = uow.calls.first_caller(ticket.id)
    link = seal.open(event.sealed_link) if event.sealed_link else event.link
    # Issued at the event's time: a redelivery writes the same text.
    track = tracking.link(ticket.id, envelope.occurred_at) if tracking else None
    text = rating_text(ticket.number, link, event.expires_at, track)
    status = SmsStatus.pending if caller else SmsStatus.no_number
    if caller and uow.portal.opted_out(ticket.caller_key):
        status = SmsStatus.opted_out
    uow.sms.enqueue(
        Outgoing(
            request_id=f"rating:{event.invitation_id}",
            ticket_id=ticket.id,
            ticket_number=ticket.number,
            purpose="rating",
            caller_masked=caller.caller_masked if caller else None,
            # A text that will never be sent keeps no usable link.
            text=text if status is SmsStatus.pending else redact_links(text),
        ),
        status,
        envelope.occurred_at,
    )
