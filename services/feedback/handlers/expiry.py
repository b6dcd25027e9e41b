"""Invitations nobody answered: past their expiry the ticket closes without a rating."""

from __future__ import annotations

from proto.feedback import TicketClosed
from services.feedback import metrics
from services.feedback.handlers.context import FeedbackContext


def expire_due(fb: FeedbackContext, batch: int = 200) -> int:
    """Expires up to `batch` due invitations in one transaction, closing their tickets
    (reason no_response, which no rate counts). Safe beside other instances: an
    invitation another one expired first is skipped. Returns how many it looked at."""
    now = fb.clock()
    closed = 0
    with fb.uow() as uow:
        due = uow.invitations.due_for_expiry(now, batch)
        for row in due:
            if not uow.invitations.finish(row.invitation_id, "expired", now):
                continue
            uow.tracking.update_ticket(row.ticket_id, now, status="closed")
            uow.publish(
                TicketClosed(reason="no_response", at=now, invitation_id=row.invitation_id),
                ticket_id=row.ticket_id,
                occurred_at=now,
            )
            closed += 1
        uow.commit()
    if closed:
        metrics.TICKETS_CLOSED.labels("no_response").inc(closed)
    return len(due)
