"""Read-only views for staff: tickets awaiting a callback, and one ticket's feedback."""

from __future__ import annotations

from typing import Any

from services.common.auth import Principal, Role
from services.common.errors import NotFound
from services.feedback.handlers.context import FeedbackContext


def awaiting_callback(fb: FeedbackContext, limit: int) -> list[dict[str, Any]]:
    """Invitations not yet answered, oldest first, with the attempts made so far."""
    with fb.uow() as uow:
        rows = uow.invitations.awaiting_callback(limit)
    return [dict(r._mapping) | {"attempts": r.attempts or 0} for r in rows]


def ticket_feedback(fb: FeedbackContext, ticket_id: str, user: Principal) -> dict[str, Any]:
    """Everything feedback holds on a ticket. Department staff see only tickets their
    department worked on; any other looks the same as a missing one (404)."""
    with fb.uow() as uow:
        ticket = uow.tracking.ticket(ticket_id)
        allowed = user.role != Role.dept_staff or (
            user.department in uow.tracking.ticket_departments(ticket_id)
        )
        if ticket is None or not allowed:
            raise NotFound("feedback.ticket_not_found", id=ticket_id)
        return dict(ticket._mapping) | {
            "invitations": [dict(r._mapping) for r in uow.invitations.of_ticket(ticket_id)],
            "ratings": [dict(r._mapping) for r in uow.ratings.of_ticket(ticket_id)],
            "callbacks": [dict(r._mapping) for r in uow.ratings.callbacks_of_ticket(ticket_id)],
        }


def tracked_assignments(fb: FeedbackContext, ticket_id: str) -> list[dict[str, Any]]:
    with fb.uow() as uow:
        return [dict(r._mapping) for r in uow.tracking.assignments_of(ticket_id)]
