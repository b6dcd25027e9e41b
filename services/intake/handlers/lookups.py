"""Reads for the agent's console: likely duplicates, the agent's recent calls (and whether
each number may be shown, see handlers.privacy), and one ticket."""

from __future__ import annotations

import time
from dataclasses import dataclass

from services.common.auth import Principal
from services.common.errors import Invalid, NotFound
from services.intake import metrics
from services.intake.domain import duplicates
from services.intake.domain.model import Call, Ticket
from services.intake.domain.privacy import TakenCall, may_reveal
from services.intake.handlers.context import IntakeContext

# Enough recent tickets at one place to judge by text; as many of the same category are
# fetched apart. A very busy community (thousands of open tickets in 30 days) is judged on
# its newest ones, which is where a repeat call's ticket almost always is.
CANDIDATES = 150


@dataclass(frozen=True)
class Duplicate:
    ticket: Ticket
    match: duplicates.Match


def find_duplicates(
    intake: IntakeContext, area_code: str, category_code: str | None, text: str, limit: int
) -> list[Duplicate]:
    """Open tickets of the last 30 days within the area, with the same category or
    similar text, best first."""
    started = time.perf_counter()
    if intake.addresses.get(area_code) is None:
        raise Invalid("intake.unknown_area", field="area_code", code=area_code)
    since = intake.clock() - duplicates.WINDOW
    with intake.uow() as uow:
        found = uow.tickets.open_at_place(area_code, since, category_code, CANDIDATES)
        ranked = duplicates.rank(found, category_code, text, limit)
        by_id = uow.tickets.get_many([m.ticket_id for m in ranked])
    metrics.DUPLICATE_LOOKUP_SECONDS.observe(time.perf_counter() - started)
    return [Duplicate(by_id[m.ticket_id], m) for m in ranked]


@dataclass(frozen=True)
class RecentCall:
    call: Call
    ticket: Ticket
    revealable: bool


def recent_calls(intake: IntakeContext, agent: Principal, limit: int) -> list[RecentCall]:
    now = intake.clock()
    with intake.uow() as uow:
        found = uow.calls.recent(agent.username, limit)
    return [
        RecentCall(
            call, ticket, may_reveal(_taken(call), agent.username, now, intake.reveal_window)
        )
        for call, ticket in found
    ]


def _taken(call: Call) -> TakenCall:
    return TakenCall(call.taken_by, call.taken_at, call.caller_cipher is not None)


def get_ticket(intake: IntakeContext, ticket_id: str) -> Ticket:
    with intake.uow() as uow:
        ticket = uow.tickets.get(ticket_id)
    if ticket is None:
        raise NotFound("intake.ticket_not_found", id=ticket_id)
    return ticket


def recent_tickets(intake: IntakeContext, created_by: str | None, limit: int) -> list[Ticket]:
    with intake.uow() as uow:
        return uow.tickets.recent(created_by, limit)
