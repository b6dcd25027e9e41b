"""The citizen's answer, from the link or by phone to an agent (回访), and what follows:
the ticket closes, or dispatch is asked to reopen it (重办), or past the limit to supervise.

A refused request changes nothing: every check happens before the first write, and the
writes share one transaction with their events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from proto.envelope import new_id
from proto.feedback import CallbackRecorded, TicketRated
from services.common.auth import Principal
from services.common.errors import Conflict, Gone, NotFound
from services.feedback import metrics
from services.feedback.adapters.links import ForgedLink, LinkClaim
from services.feedback.domain.answers import Answers, Close, Reopen
from services.feedback.domain.months import Month
from services.feedback.handlers.context import FeedbackContext
from services.feedback.handlers.ports import Record, UnitOfWork
from services.feedback.handlers.settling import settle_ticket

Via = Literal["link", "callback"]
Outcome = Literal["closed", "reopened", "supervised"]


@dataclass(frozen=True)
class InvitationView:
    """What the citizen's page shows: nothing about the caller or any other ticket."""

    ticket_number: str | None
    category: str | None
    department_name: str | None
    kind: str
    expires_at: datetime


@dataclass(frozen=True)
class Settled:
    rating_id: str
    department_code: str | None
    answers: Answers
    via: Via
    decision: Close | Reopen

    @property
    def outcome(self) -> Outcome:
        if isinstance(self.decision, Close):
            return "closed"
        return "supervised" if self.decision.supervise else "reopened"


def open_invitation(fb: FeedbackContext, ticket_id: str, token: str) -> InvitationView:
    """The invitation behind a link, if it can still be answered; otherwise a problem:
    404 forged or for another ticket, 409 already answered, 410 expired or superseded."""
    claim = _claim(fb, token)
    with fb.uow() as uow:
        invitation = _answerable(uow, claim, ticket_id, fb.clock())
        ticket = uow.tracking.ticket(ticket_id)
    return InvitationView(
        ticket_number=ticket.number if ticket else None,
        category=ticket.category if ticket else None,
        department_name=invitation.department_name,
        kind=invitation.kind,
        expires_at=invitation.expires_at,
    )


def rate_by_link(fb: FeedbackContext, ticket_id: str, token: str, answers: Answers) -> Settled:
    """Stores the citizen's one answer to the invitation and settles the ticket."""
    claim = _claim(fb, token)
    now = fb.clock()
    with fb.uow() as uow:
        invitation = _answerable(uow, claim, ticket_id, now)
        settled = _record(fb, uow, invitation, answers, "link", None, now)
        uow.commit()
    _observe(settled)
    return settled


def record_callback(
    fb: FeedbackContext, ticket_id: str, answers: Answers | None, note: str, agent: Principal
) -> tuple[str, Settled | None]:
    """Records an agent's call to the citizen (回访): reached with answers (which count
    like the link's and use up its invitation), or not reached (answers None)."""
    now = fb.clock()
    callback_id = new_id()
    reached = answers is not None
    with fb.uow() as uow:
        invitation = _awaiting_answer(uow, ticket_id, now)
        uow.publish(
            CallbackRecorded(
                callback_id=callback_id,
                reached=reached,
                by=agent.username,
                at=now,
                invitation_id=invitation.invitation_id,
                note=note,
            ),
            ticket_id=ticket_id,
            occurred_at=now,
        )
        settled = None
        if answers is not None:
            settled = _record(fb, uow, invitation, answers, "callback", agent.username, now)
        uow.ratings.add_callback(
            callback_id=callback_id,
            ticket_id=ticket_id,
            invitation_id=invitation.invitation_id,
            reached=reached,
            rating_id=settled.rating_id if settled else None,
            note=note,
            by=agent.username,
            at=now,
        )
        uow.commit()
    metrics.CALLBACKS.labels(str(reached).lower()).inc()
    if settled is not None:
        _observe(settled)
    return callback_id, settled


def _awaiting_answer(uow: UnitOfWork, ticket_id: str, now: datetime) -> Record:
    """The ticket's pending invitation: 404 for an unknown ticket, 409 when none waits."""
    if uow.tracking.ticket(ticket_id) is None:
        raise NotFound("feedback.ticket_not_found", id=ticket_id)
    invitation = uow.invitations.pending_for(ticket_id)
    if invitation is None or invitation.expires_at <= now:
        raise Conflict("feedback.not_awaiting_rating", id=ticket_id)
    return invitation


def _claim(fb: FeedbackContext, token: str) -> LinkClaim:
    try:
        return fb.signer.read(token)
    except ForgedLink:
        raise NotFound("feedback.link_invalid") from None


def _answerable(uow: UnitOfWork, claim: LinkClaim, ticket_id: str, now: datetime) -> Record:
    invitation = uow.invitations.get(claim.invitation_id)
    # A genuine link used on another ticket's address gets the forged link's answer, so
    # nothing can be learnt about that other ticket.
    if invitation is None or invitation.ticket_id != ticket_id:
        raise NotFound("feedback.link_invalid")
    if invitation.status == "rated":
        raise Conflict("feedback.link_used")
    if invitation.status == "superseded":
        raise Gone("feedback.link_superseded")
    if invitation.status == "expired" or claim.expired or invitation.expires_at <= now:
        raise Gone("feedback.link_expired")
    return invitation


def _record(
    fb: FeedbackContext,
    uow: UnitOfWork,
    invitation: Record,
    answers: Answers,
    via: Via,
    by: str | None,
    now: datetime,
) -> Settled:
    if not uow.invitations.finish(invitation.invitation_id, "rated", now):
        raise Conflict("feedback.link_used")  # a concurrent answer won
    rating_id = _store(uow, invitation, answers, via, by, now)
    decision = settle_ticket(fb, uow, invitation, answers, by, now)
    return Settled(rating_id, invitation.department_code, answers, via, decision)


def _store(
    uow: UnitOfWork,
    invitation: Record,
    answers: Answers,
    via: Via,
    by: str | None,
    now: datetime,
) -> str:
    """Keeps the rating with everything the three rates need, and says so (TicketRated)."""
    rating_id = new_id()
    on_time = _on_time(uow, invitation.assignment_id)
    uow.ratings.add(
        rating_id=rating_id,
        invitation_id=invitation.invitation_id,
        ticket_id=invitation.ticket_id,
        round=invitation.round,
        assignment_id=invitation.assignment_id,
        department_code=invitation.department_code,
        via=via,
        by=by,
        contacted=answers.contacted,
        contact_on_time=on_time,
        solved=answers.solved,
        satisfaction=answers.satisfaction,
        comment=answers.comment,
        rated_at=now,
        month=str(Month.of(now)),
    )
    uow.publish(
        TicketRated(
            invitation_id=invitation.invitation_id,
            department_code=invitation.department_code,
            contacted=answers.contacted,
            solved=answers.solved,
            satisfaction=answers.satisfaction,
            comment=answers.comment,
            via=via,
            by=by,
            at=now,
            round=invitation.round,
            assignment_id=invitation.assignment_id,
            contact_on_time=on_time,
        ),
        ticket_id=invitation.ticket_id,
        occurred_at=now,
    )
    return rating_id


def _on_time(uow: UnitOfWork, assignment_id: str | None) -> bool:
    """Dispatch's verdict on the first contact. A contact reported before dispatch gave one
    is judged here by the deadline feedback was told (none set: any contact is in time), the
    one place feedback still does. No recorded contact is never on time."""
    row = uow.tracking.assignment(assignment_id)
    if row is None or row.contacted_at is None:
        return False
    if row.contact_on_time is not None:
        return bool(row.contact_on_time)
    return row.contact_due is None or row.contacted_at <= row.contact_due


def _observe(settled: Settled) -> None:
    """Counts a committed rating (never before the commit, so a rollback counts nothing)."""
    department = settled.department_code or metrics.NO_DEPARTMENT
    answers = settled.answers
    metrics.RATINGS.labels(department, settled.via).inc()
    metrics.ANSWERS.labels(department, "contacted", str(answers.contacted).lower()).inc()
    metrics.ANSWERS.labels(department, "solved", str(answers.solved).lower()).inc()
    metrics.ANSWERS.labels(department, "satisfaction", answers.satisfaction).inc()
    if isinstance(settled.decision, Close):
        metrics.TICKETS_CLOSED.labels(settled.decision.reason).inc()
    else:
        metrics.REOPENS.labels(str(settled.decision.supervise).lower()).inc()
