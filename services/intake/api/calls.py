"""Calls and tickets: log a call, find duplicates, the agent's recent calls, one ticket."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Query, status

from services.common.auth import CurrentUser, Role, require_roles
from services.common.idempotency import Idempotent
from services.intake.api.models import (
    CallCreate,
    CallLogged,
    DuplicateRead,
    PhoneRead,
    RecentCallRead,
    TicketRead,
)
from services.intake.api.privacy import NoStore
from services.intake.handlers import calls, lookups, privacy
from services.intake.handlers.context import IntakeContext

Agents = Depends(require_roles(Role.agent))
Staff = Depends(require_roles(Role.agent, Role.dispatcher, Role.leader))
Limit = Annotated[int, Query(ge=1, le=200)]


def router(intake: IntakeContext, call_threads: int) -> APIRouter:
    # Masked numbers and what callers said: nothing here may be cached.
    api = APIRouter(prefix="/api/v1", tags=["calls"], dependencies=[NoStore])
    # Logging a call writes, and writes queue on one database writer: spread over the
    # shared pool of 40 threads they only contend for that lock and the GIL, and slow
    # every other route. A few threads of their own keep the queue in the event loop.
    lane = anyio.CapacityLimiter(call_threads)

    @api.post("/calls", status_code=status.HTTP_201_CREATED, dependencies=[Agents, Idempotent])
    async def log_call(body: CallCreate, user: CurrentUser) -> CallLogged:
        """A new ticket; or, with `duplicate_of`, the call attached to that open ticket; or,
        with `answer`, a consultation answered and closed at once."""
        logged = await anyio.to_thread.run_sync(
            calls.log_call, intake, body.command(), user, limiter=lane
        )
        read = TicketRead.of(logged.ticket).model_dump()
        return CallLogged(**read, call_id=logged.call.id, outcome=logged.outcome)

    @api.get("/calls", dependencies=[Agents])
    def my_recent_calls(user: CurrentUser, limit: Limit = 20) -> list[RecentCallRead]:
        """The caller's own latest calls with their tickets' current status."""
        return [
            RecentCallRead(
                call_id=r.call.id,
                taken_at=r.call.taken_at,
                caller_masked=r.call.caller_masked,
                revealable=r.revealable,
                ticket=TicketRead.of(r.ticket),
            )
            for r in lookups.recent_calls(intake, user, limit)
        ]

    @api.get("/calls/{call_id}/phone", dependencies=[Agents, NoStore])
    def reveal_phone(call_id: str, user: CurrentUser) -> PhoneRead:
        """The number in clear, only for the agent handling the call; every reveal and
        refusal is recorded."""
        return PhoneRead(phone=privacy.reveal_for_call(intake, call_id, user))

    @api.get("/duplicates", dependencies=[Agents])
    def duplicates(
        area_code: Annotated[str, Query(min_length=6, max_length=32)],
        category_code: Annotated[str | None, Query(max_length=32)] = None,
        text: Annotated[str, Query(max_length=4000)] = "",
        limit: Annotated[int, Query(ge=1, le=50)] = 10,
    ) -> list[DuplicateRead]:
        """Open tickets of the last 30 days within the area with the same category or
        similar text, best first."""
        found = lookups.find_duplicates(intake, area_code, category_code, text, limit)
        return [
            DuplicateRead(
                ticket=TicketRead.of(d.ticket),
                score=round(d.match.score, 3),
                same_category=d.match.same_category,
                similarity=round(d.match.similarity, 3),
                kind=d.match.kind,
                meaning=round(d.match.meaning, 3),
                why=list(d.match.why),
            )
            for d in found
        ]

    @api.get("/tickets", dependencies=[Staff])
    def recent_tickets(user: CurrentUser, limit: Limit = 50, mine: bool = True) -> list[TicketRead]:
        found = lookups.recent_tickets(intake, user.username if mine else None, limit)
        return [TicketRead.of(t) for t in found]

    @api.get("/tickets/{ticket_id}", dependencies=[Staff])
    def get_ticket(ticket_id: str) -> TicketRead:
        return TicketRead.of(lookups.get_ticket(intake, ticket_id))

    return api
