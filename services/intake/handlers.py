"""Intake use cases: each one is one transaction, with its events in the same one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from proto.assignments import AssignmentDispatched
from proto.envelope import Envelope, new_id
from services.common.auth import Principal
from services.common.db import UnitOfWork, UnitOfWorkFactory
from services.common.problems import field_problem
from services.intake.adapters import repository
from services.intake.domain.model import (
    SHANGHAI,
    InvalidPhone,
    LogCall,
    Ticket,
    caller_key,
    mask_phone,
    normalise_phone,
    ticket_number,
)
from services.intake.domain.reference import Tree


@dataclass(frozen=True)
class Reference:
    categories: Tree
    areas: Tree
    caller_key_secret: str


def _check(cmd: LogCall, ref: Reference) -> tuple[list[str], list[str]]:
    if not ref.categories.is_leaf(cmd.category_code):
        raise field_problem("category_code", "intake.unknown_category", code=cmd.category_code)
    area_path: list[str] = []
    if cmd.area_code is not None:
        if ref.areas.get(cmd.area_code) is None:
            raise field_problem("area_code", "intake.unknown_area", code=cmd.area_code)
        area_path = ref.areas.path(cmd.area_code)
    return ref.categories.path(cmd.category_code), area_path


def log_call(
    uow_factory: UnitOfWorkFactory, ref: Reference, cmd: LogCall, agent: Principal
) -> Ticket:
    """Validates, stores the ticket and its TicketCreated event atomically."""
    category_path, area_path = _check(cmd, ref)
    phone = None
    if cmd.caller_phone:
        try:
            phone = normalise_phone(cmd.caller_phone)
        except InvalidPhone:
            raise field_problem("caller_phone", "intake.invalid_phone") from None
    now = datetime.now(UTC)
    with uow_factory() as uow:
        ticket = Ticket(
            id=new_id(),
            number=ticket_number(
                now, repository.next_sequence(uow.session, now.astimezone(SHANGHAI).date())
            ),
            channel=cmd.channel,
            request_type=cmd.request_type,
            category_code=cmd.category_code,
            category_path=category_path,
            area_code=cmd.area_code,
            area_path=area_path,
            urgency=cmd.urgency,
            description=cmd.description,
            caller_masked=mask_phone(phone) if phone else None,
            caller_key=caller_key(phone, ref.caller_key_secret) if phone else None,
            created_by=agent.username,
            created_at=now,
        )
        repository.add(uow.session, ticket)
        uow.publish(ticket.created_event(), ticket_id=ticket.id, occurred_at=now)
        uow.commit()
    return ticket


def on_assignment_dispatched(
    uow: UnitOfWork, envelope: Envelope, event: AssignmentDispatched
) -> None:
    """Shows the agent where the ticket went."""
    repository.set_status(uow.session, envelope.ticket_id, "dispatched", event.department_name)
