"""Feedback use cases."""

from __future__ import annotations

from sqlalchemy import insert

from proto.assignments import AssignmentDispatched
from proto.envelope import Envelope
from services.common.db import UnitOfWork
from services.feedback.adapters.orm import assignments


def on_assignment_dispatched(
    uow: UnitOfWork, envelope: Envelope, event: AssignmentDispatched
) -> None:
    """Remembers who must answer for the ticket, for invitations and the three rates."""
    uow.session.execute(
        insert(assignments).values(
            assignment_id=event.assignment_id,
            ticket_id=envelope.ticket_id,
            department_code=event.department_code,
            department_name=event.department_name,
            status="awaiting_resolution",
            dispatched_at=event.dispatched_at,
        )
    )
