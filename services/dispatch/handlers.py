"""Dispatch use cases, each one transaction with its events."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert

from proto.assignments import AssignmentDispatched
from proto.envelope import Envelope, new_id
from proto.tickets import TicketCreated
from services.common.db import UnitOfWork
from services.dispatch.adapters.orm import assignments
from services.dispatch.domain.routing import Router


def on_ticket_created(
    router: Router, uow: UnitOfWork, envelope: Envelope, event: TicketCreated
) -> None:
    """Routes a new ticket and records the assignment with the rule that chose it."""
    route = router.route(event.category_code, event.area_code)
    now = datetime.now(UTC)
    assignment_id = new_id()
    uow.session.execute(
        insert(assignments).values(
            id=assignment_id,
            ticket_id=envelope.ticket_id,
            department_code=route.department.code,
            department_name=route.department.name,
            rule=route.rule,
            status="dispatched",
            dispatched_at=now,
        )
    )
    uow.publish(
        AssignmentDispatched(
            assignment_id=assignment_id,
            department_code=route.department.code,
            department_name=route.department.name,
            rule=route.rule,
            dispatched_at=now,
        ),
        ticket_id=envelope.ticket_id,
        occurred_at=now,
    )
