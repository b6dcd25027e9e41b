"""Proactive tickets (未诉先办): a dispatcher opens a ticket from a hot spot or a monthly
theme, with nobody calling. Intake owns tickets, so they are opened here and then routed,
clocked, searched and counted like any other (channel `proactive`)."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, status
from pydantic import Field, StringConstraints

from proto.tickets import RequestType, Urgency
from services.common.auth import CurrentUser, Role, require_roles
from services.common.idempotency import Idempotent
from services.common.text import CleanText
from services.intake.api.models import Address, Strict, TicketRead
from services.intake.api.privacy import NoStore
from services.intake.domain.model import LogCall
from services.intake.handlers import calls
from services.intake.handlers.context import IntakeContext

Dispatchers = Depends(require_roles(Role.dispatcher))
# What it was opened from: a hot spot's key (category@street) or a theme's id.
Source = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=80, pattern=r"^(hotspot:\w+@\w+|theme:[\w-]+)$"
    ),
]


class ProactiveCreate(Strict):
    source: Source = Field(description="hotspot:<category>@<street> or theme:<theme id>")
    request_type: RequestType = "help"
    category_code: str = Field(min_length=1, max_length=32)
    area_code: str = Field(min_length=6, max_length=32)
    address: Address | None = Field(None, description="Where exactly")
    urgency: Urgency = "general"
    description: CleanText = Field(min_length=1, max_length=4000)

    def command(self) -> LogCall:
        return LogCall(
            channel="proactive",
            request_type=self.request_type,
            category_code=self.category_code,
            area_code=self.area_code,
            urgency=self.urgency,
            description=self.description,
            caller_phone=None,
            address=self.address,
            source=self.source,
        )


def router(intake: IntakeContext) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["proactive tickets"], dependencies=[NoStore])

    @api.post(
        "/proactive-tickets",
        status_code=status.HTTP_201_CREATED,
        dependencies=[Dispatchers, Idempotent],
    )
    async def open_proactive(body: ProactiveCreate, user: CurrentUser) -> TicketRead:
        """A ticket with no caller, opened by a dispatcher from a hot spot or a theme; it is
        routed and clocked like any other and never asks anyone for a rating."""
        logged = await anyio.to_thread.run_sync(calls.log_call, intake, body.command(), user)
        return TicketRead.of(logged.ticket)

    return api
