"""What follows a citizen's answer: the ticket closes, or dispatch is asked to reopen it
(重办), or past the reopen limit to supervise it (督办)."""

from __future__ import annotations

from datetime import datetime

from proto.feedback import ReopenRequested, TicketClosed
from services.feedback.domain.answers import Answers, Close, Reopen, settle
from services.feedback.handlers.context import FeedbackContext
from services.feedback.handlers.ports import Record, UnitOfWork


def settle_ticket(
    fb: FeedbackContext,
    uow: UnitOfWork,
    invitation: Record,
    answers: Answers,
    by: str | None,
    now: datetime,
) -> Close | Reopen:
    """Closes the ticket on an accepted answer, otherwise asks dispatch to reopen it (or
    to supervise it past the limit); records the ticket's new state and the event."""
    ticket = uow.tracking.ensure_ticket(invitation.ticket_id, now)
    decision = settle(
        answers,
        reopened=ticket.reopen_count,
        limit=fb.reopen_limit,
        answered_directly=invitation.kind == "answered_directly",
    )
    if isinstance(decision, Close):
        uow.tracking.update_ticket(ticket.ticket_id, now, status="closed")
        uow.publish(
            TicketClosed(
                reason=decision.reason, at=now, by=by, invitation_id=invitation.invitation_id
            ),
            ticket_id=ticket.ticket_id,
            occurred_at=now,
        )
    else:
        _reopen(uow, invitation, decision, answers.comment, by, now)
    return decision


def _reopen(
    uow: UnitOfWork,
    invitation: Record,
    decision: Reopen,
    comment: str,
    by: str | None,
    now: datetime,
) -> None:
    status = "supervised" if decision.supervise else "reopened"
    uow.tracking.update_ticket(
        invitation.ticket_id, now, status=status, reopen_count=decision.count
    )
    uow.publish(
        ReopenRequested(
            department_code=invitation.department_code,
            comment=comment,
            reopen_count=decision.count,
            supervise=decision.supervise,
            at=now,
            by=by,
            invitation_id=invitation.invitation_id,
            assignment_id=invitation.assignment_id,
        ),
        ticket_id=invitation.ticket_id,
        occurred_at=now,
    )
