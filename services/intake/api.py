"""Thin routes: parse, authorize, hand over to the handlers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, ConfigDict, Field

from proto.tickets import Channel, RequestType, Urgency
from services.common.auth import CurrentUser, Role, require_roles
from services.common.db import UnitOfWorkFactory
from services.common.problems import Problem
from services.intake import handlers
from services.intake.adapters import repository
from services.intake.domain.model import LogCall, Ticket

Agents = Depends(require_roles(Role.agent))
Staff = Depends(require_roles(Role.agent, Role.dispatcher, Role.leader))


class CallCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    channel: Channel = "phone"
    request_type: RequestType
    category_code: str = Field(min_length=1, max_length=32)
    area_code: str | None = Field(None, min_length=1, max_length=32)
    urgency: Urgency = "general"
    description: str = Field(min_length=1, max_length=4000)
    caller_phone: str | None = Field(None, max_length=32, description="Omit for anonymous calls")


class TicketRead(BaseModel):
    id: str
    number: str
    channel: str
    request_type: str
    category_code: str
    category_path: list[str]
    area_code: str | None
    area_path: list[str]
    urgency: str
    description: str
    caller_masked: str | None
    status: str
    department_name: str | None
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, ticket: Ticket) -> TicketRead:
        return cls.model_validate(ticket, from_attributes=True)


def router(uow: UnitOfWorkFactory, ref: handlers.Reference) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["intake"])

    @api.post("/calls", status_code=status.HTTP_201_CREATED, dependencies=[Agents])
    def log_call(body: CallCreate, user: CurrentUser) -> TicketRead:
        return TicketRead.of(handlers.log_call(uow, ref, LogCall(**body.model_dump()), user))

    @api.get("/tickets", dependencies=[Staff])
    def recent_tickets(
        user: CurrentUser, limit: Annotated[int, Query(ge=1, le=200)] = 50, mine: bool = True
    ) -> list[TicketRead]:
        with uow() as u:
            found = repository.recent(u.session, user.username if mine else None, limit)
        return [TicketRead.of(t) for t in found]

    @api.get("/tickets/{ticket_id}", dependencies=[Staff])
    def get_ticket(ticket_id: str) -> TicketRead:
        with uow() as u:
            ticket = repository.get(u.session, ticket_id)
        if ticket is None:
            raise Problem(404, "intake.ticket_not_found", id=ticket_id)
        return TicketRead.of(ticket)

    return api
