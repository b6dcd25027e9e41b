"""From a route to assignments with running clocks; what a reopened ticket gets. Pure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from proto.vocabulary import Channel, HandlingRole, RoutingState
from services.dispatch.domain.assignment import Assignment, SuggestionOutcome
from services.dispatch.domain.routing import Department, Route, Router
from services.dispatch.domain.sla import CalendarFor, Policy, start_clocks

# The rule of an assignment sent where the suggestion pointed ("suggestion:rule:R-1").
FROM_SUGGESTION = "suggestion"


@dataclass(frozen=True)
class Suggestion:
    """The category intake's suggester read in the caller's words when the ticket came in."""

    category_code: str
    confidence: float
    model_version: int | None
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class SuggestionDecision:
    """Suggested versus final: what the suggestion pointed at (no department when no rule
    sends its category at the ticket's place) and where the dispatcher sent the ticket."""

    ticket_id: str
    category_code: str
    department_code: str | None
    chosen_department: str
    outcome: SuggestionOutcome
    by: str
    at: datetime


@dataclass
class Ticket:
    """What dispatch keeps of a ticket: enough to route it, show it and route it again."""

    id: str
    number: str
    category_code: str
    category_name: str
    area_code: str | None
    area_name: str
    urgency: str
    description: str
    has_phone: bool
    created_at: datetime
    # "answered": answered at intake (直接答复), so never on a dispatcher's list.
    state: RoutingState
    round: int = 1
    review_reason: str = ""
    channel: Channel = "phone"
    # Intake's cue that this caller called more than usual today (it never blocks).
    frequent_caller: bool = False
    suggestion: Suggestion | None = None


@dataclass(frozen=True)
class Dispatch:
    """Who sends the ticket where, when, in which round and attempt."""

    route: Route
    policy: Policy
    round: int
    attempt: int
    by: str
    now: datetime
    note: str = ""
    suggestion: SuggestionOutcome = ""


def suggested_route(
    router: Router, suggestion: Suggestion | None, area_code: str | None
) -> Route | None:
    """Where the router, with the rules in force now, sends the suggested category at the
    ticket's place; None without a suggestion or when only a dispatcher could say."""
    if suggestion is None:
        return None
    route = router.route(suggestion.category_code, area_code)
    return route if route.confident else None


def judge_suggestion(
    ticket: Ticket, router: Router, chosen: str, by: str, now: datetime
) -> SuggestionDecision | None:
    """Weighs a dispatch by hand from the review queue against the ticket's suggestion
    (before it leaves the queue): only the first routing of a ticket is suggested, so a
    returned ticket sent again is not weighed twice."""
    if ticket.suggestion is None or ticket.state != "review":
        return None
    route = suggested_route(router, ticket.suggestion, ticket.area_code)
    suggested = route.department.code if route else None
    outcome: SuggestionOutcome = "accepted" if suggested == chosen else "overridden"
    return SuggestionDecision(
        ticket.id, ticket.suggestion.category_code, suggested, chosen, outcome, by, now
    )


def assignments_for(
    ticket: Ticket, order: Dispatch, calendar_for: CalendarFor, new_id: Callable[[], str]
) -> list[Assignment]:
    """The lead assignment, then one per co-handling department, each with fresh clocks."""
    lead: list[tuple[Department, HandlingRole]] = [(order.route.department, "lead")]
    members = lead + [(d, "co") for d in order.route.co]
    return [_one(ticket, order, d, role, calendar_for, new_id()) for d, role in members]


def _one(
    ticket: Ticket,
    order: Dispatch,
    department: Department,
    role: HandlingRole,
    calendar_for: CalendarFor,
    assignment_id: str,
) -> Assignment:
    clocks = start_clocks(order.policy, order.now, calendar_for)
    assignment = Assignment(
        id=assignment_id,
        ticket_id=ticket.id,
        round=order.round,
        attempt=order.attempt,
        role=role,
        department_code=department.code,
        department_name=department.name,
        rule=order.route.rule,
        policy=order.policy.name,
        status="dispatched",
        dispatched_at=order.now,
        dispatched_by=order.by,
        clocks={c.name: c for c in clocks},
        note=order.note,
        # The suggestion named a lead department: co-handlers were not weighed.
        suggestion=order.suggestion if role == "lead" else "",
    )
    assignment.events.append(assignment.dispatched())
    return assignment


def reopen_route(router: Router, ticket: Ticket, previous: Department | None) -> Route:
    """重办 goes back to the previous lead department unless an explicit rule now says
    otherwise; without either, routing starts over."""
    explicit = router.explicit(ticket.category_code, ticket.area_code)
    if explicit is not None:
        return explicit
    if previous is not None:
        return Route(previous, "reopen:previous")
    return router.route(ticket.category_code, ticket.area_code)
