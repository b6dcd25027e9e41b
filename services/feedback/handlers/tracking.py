"""Consumers of intake's and dispatch's events: keep track of who must answer for a
ticket and invite the citizen to rate once the lead department resolves it."""

from __future__ import annotations

from typing import Literal

from proto.assignments import (
    AssignmentAcknowledged,
    AssignmentDispatched,
    AssignmentResolved,
    AssignmentReturned,
    CitizenContacted,
    ClocksResumed,
)
from proto.envelope import Envelope, new_id
from proto.feedback import RatingRequested
from proto.tickets import TicketAnsweredDirectly, TicketCreated
from services.feedback.handlers.context import FeedbackContext
from services.feedback.handlers.ports import Record, UnitOfWork

InvitationKind = Literal["resolved", "answered_directly"]


def on_ticket_created(
    fb: FeedbackContext, uow: UnitOfWork, envelope: Envelope, event: TicketCreated
) -> None:
    """Remembers the ticket's number, category and whether the caller left a number (only
    those can be called back) for agents' callbacks."""
    uow.tracking.set_ticket(
        envelope.ticket_id,
        fb.clock(),
        number=event.number,
        category=event.category_path[-1] if event.category_path else event.category_code,
        has_phone=event.with_number,
    )


def on_answered_directly(
    fb: FeedbackContext, uow: UnitOfWork, envelope: Envelope, event: TicketAnsweredDirectly
) -> None:
    """A consultation answered at intake is offered for rating too, with no department."""
    invite(fb, uow, envelope.ticket_id, kind="answered_directly", round_=1)


def on_assignment_dispatched(
    fb: FeedbackContext, uow: UnitOfWork, envelope: Envelope, event: AssignmentDispatched
) -> None:
    """Remembers who must answer for the ticket, in which role and round, and the contact
    deadline the response rate is judged by."""
    now = fb.clock()
    if event.role == "lead":  # the lead's dispatch (re)opens the ticket
        uow.tracking.set_ticket(envelope.ticket_id, now, status="open")
    else:
        uow.tracking.track_ticket(envelope.ticket_id, now)
    uow.tracking.add_assignment(
        assignment_id=event.assignment_id,
        ticket_id=envelope.ticket_id,
        department_code=event.department_code,
        department_name=event.department_name,
        status="awaiting_resolution",
        dispatched_at=event.dispatched_at,
        role=event.role,
        round=event.round,
        contact_due=event.deadlines.get("contact"),
    )
    uow.tracking.remember_department(event.department_code, event.department_name)


def on_acknowledged(
    fb: FeedbackContext, uow: UnitOfWork, envelope: Envelope, event: AssignmentAcknowledged
) -> None:
    uow.tracking.set_first(event.assignment_id, "acknowledged_at", event.at)


def on_contacted(
    fb: FeedbackContext, uow: UnitOfWork, envelope: Envelope, event: CitizenContacted
) -> None:
    """Only the first contact matters for the response rate, and dispatch decided whether it
    was in time (it knows the pauses and the breaches); an event from before it said so
    leaves the verdict empty, for the deadline to decide."""
    uow.tracking.set_first(
        event.assignment_id, "contacted_at", event.at, contact_on_time=event.on_time
    )


def on_clocks_resumed(
    fb: FeedbackContext, uow: UnitOfWork, envelope: Envelope, event: ClocksResumed
) -> None:
    """A pause (waiting on the citizen) moved the deadlines; the contact one is ours."""
    if (due := event.deadlines.get("contact")) is not None:
        uow.tracking.update_assignment(event.assignment_id, contact_due=due)


def on_returned(
    fb: FeedbackContext, uow: UnitOfWork, envelope: Envelope, event: AssignmentReturned
) -> None:
    uow.tracking.update_assignment(event.assignment_id, status="returned")


def on_resolved(
    fb: FeedbackContext, uow: UnitOfWork, envelope: Envelope, event: AssignmentResolved
) -> None:
    """Records the resolution; the lead's resolution invites the citizen to rate. A
    co-handler's (协办) resolution is its part of the work, not the ticket's end."""
    row = _tracked(uow, envelope.ticket_id, event)
    uow.tracking.update_assignment(event.assignment_id, status="resolved", resolved_at=event.at)
    for column in ("acknowledged_at", "contacted_at"):
        if (at := getattr(event, column)) is not None:
            uow.tracking.set_first(event.assignment_id, column, at)
    uow.tracking.remember_department(event.department_code, event.department_name)
    if event.role == "lead":
        invite(
            fb,
            uow,
            envelope.ticket_id,
            kind="resolved",
            round_=row.round,
            assignment_id=event.assignment_id,
            department=(event.department_code, event.department_name),
        )


def _tracked(uow: UnitOfWork, ticket_id: str, event: AssignmentResolved) -> Record:
    """The resolved assignment's row; when its AssignmentDispatched was never seen, the
    resolution itself says enough to start one (round 1)."""
    row = uow.tracking.assignment(event.assignment_id)
    if row is None:
        uow.tracking.add_assignment(
            assignment_id=event.assignment_id,
            ticket_id=ticket_id,
            department_code=event.department_code,
            department_name=event.department_name,
            status="resolved",
            dispatched_at=event.dispatched_at,
            role=event.role,
        )
        row = uow.tracking.assignment(event.assignment_id)
    assert row is not None
    return row


def invite(
    fb: FeedbackContext,
    uow: UnitOfWork,
    ticket_id: str,
    *,
    kind: InvitationKind,
    round_: int,
    assignment_id: str | None = None,
    department: tuple[str, str] | None = None,
) -> None:
    """Creates the ticket's one pending invitation (an older pending one is superseded)
    and asks intake, through RatingRequested, to text the signed link (sealed: only intake
    can open it, so the outbox and the bus never hold a usable link)."""
    now = fb.clock()
    # The ticket's new status first: one UPDATE, and the row is created only when missing.
    uow.tracking.set_ticket(ticket_id, now, status="awaiting_rating")
    uow.invitations.supersede_pending(ticket_id, now)
    invitation_id = new_id()
    code, name = department or (None, None)
    expires_at = now + fb.invitation_ttl
    uow.invitations.add(
        invitation_id=invitation_id,
        ticket_id=ticket_id,
        kind=kind,
        assignment_id=assignment_id,
        round=round_,
        department_code=code,
        department_name=name,
        created_at=now,
        expires_at=expires_at,
    )
    uow.publish(
        RatingRequested(
            invitation_id=invitation_id,
            sealed_link=fb.seal.seal(fb.link(ticket_id, invitation_id)),
            expires_at=expires_at,
            department_code=code,
            at=now,
            round=round_,
            kind=kind,
        ),
        ticket_id=ticket_id,
        occurred_at=now,
    )
