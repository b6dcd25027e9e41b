"""Reads for the agent's console: likely duplicates, the agent's recent calls (and whether
each number may be shown, see handlers.privacy), and one ticket."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from services.common.auth import Principal
from services.common.errors import Invalid, NotFound
from services.intake import metrics
from services.intake.domain import duplicates, meaning
from services.intake.domain.model import Call, Ticket
from services.intake.domain.privacy import TakenCall, may_reveal
from services.intake.handlers.context import IntakeContext

# Enough recent tickets at one place to judge by text; as many of the same category are
# fetched apart. A very busy community (thousands of open tickets in 30 days) is judged on
# its newest ones, which is where a repeat call's ticket almost always is.
CANDIDATES = 150
# Tickets said in other words are looked for along the whole street (a caller's community
# is often misheard or left out): its newest open ones, enough for a busy street's month.
MEANING_CANDIDATES = 500
# A street's IDF is learned again once this share of its open tickets is new to it; until
# then new tickets are weighed by the IDF learned before (it drifts slowly).
RELEARN_SHARE = 0.25
# Streets whose index is kept: those the agents are taking calls about right now. A street
# of 500 open tickets takes a few MB.
STREETS_KEPT = 32


@dataclass(frozen=True)
class Duplicate:
    ticket: Ticket
    match: duplicates.Match


def find_duplicates(
    intake: IntakeContext, area_code: str, category_code: str | None, text: str, limit: int
) -> list[Duplicate]:
    """Open tickets of the last 30 days within the area, with the same category or
    similar text, and along its street those that say the same in other words; best first."""
    started = time.perf_counter()
    if intake.addresses.get(area_code) is None:
        raise Invalid("intake.unknown_area", field="area_code", code=area_code)
    since = intake.clock() - duplicates.WINDOW
    street = area_code[:9]
    with intake.uow() as uow:
        found = uow.tickets.open_at_place(area_code, since, category_code, CANDIDATES)
        nearby = uow.tickets.open_at_place(street, since, None, MEANING_CANDIDATES)
        ranked = duplicates.rank(found, category_code, text, limit)
        index, among = _index(street, nearby), [c.ticket_id for c in nearby]
        ranked = meaning.beside(ranked, index, text, limit, among)
        by_id = uow.tickets.get_many([m.ticket_id for m in ranked])
    metrics.DUPLICATE_LOOKUP_SECONDS.observe(time.perf_counter() - started)
    return [Duplicate(by_id[m.ticket_id], m) for m in ranked]


_streets: OrderedDict[str, meaning.Index] = OrderedDict()
_streets_lock = threading.Lock()


def _index(street: str, nearby: list[duplicates.Candidate]) -> meaning.Index:
    """The street's index, kept between requests: the console asks again on every pause
    in typing, and only the typed text changes. Closed tickets stay in it unasked (only
    `nearby` is scored) until it is learned again."""
    with _streets_lock:
        index = _streets.get(street)
    known = index.vectors if index else {}
    new = [(c.ticket_id, c.description) for c in nearby if c.ticket_id not in known]
    if index is None or len(new) > RELEARN_SHARE * len(nearby) or len(known) > 2 * len(nearby):
        index = meaning.index((c.ticket_id, c.description) for c in nearby)
    elif new:
        index = index.extend(new)
    with _streets_lock:
        _streets[street] = index
        _streets.move_to_end(street)
        while len(_streets) > STREETS_KEPT:
            _streets.popitem(last=False)
    return index


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
