"""What a dispatcher does: send a ticket from the review or returned list, decide
extensions, and keep the supervision (督办) list."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from services.common.auth import Principal
from services.common.errors import Conflict, Invalid, NotFound
from services.dispatch import metrics
from services.dispatch.domain.assignment import Assignment
from services.dispatch.domain.dispatching import (
    FROM_SUGGESTION,
    Dispatch,
    Ticket,
    judge_suggestion,
    suggested_route,
)
from services.dispatch.domain.extension import Decision, Extension, decide_extension
from services.dispatch.domain.routing import Route, Router
from services.dispatch.handlers.context import (
    DispatchContext,
    close_supervision,
    load_for,
    open_supervision,
    save_and_publish,
)
from services.dispatch.handlers.routing import dispatch

# How a dispatcher chose: the route for the ticket, given the router in force.
Choose = Callable[[Ticket, Router], Route]


def dispatch_by_hand(
    deps: DispatchContext, user: Principal, ticket_id: str, lead: str, co: Sequence[str], note: str
) -> list[Assignment]:
    """Sends a ticket waiting on the review or returned list to the departments chosen."""

    def chosen(ticket: Ticket, router: Router) -> Route:
        departments = router.departments
        for field, code in (("department_code", lead), *(("co", c) for c in co)):
            if code not in departments:
                raise Invalid("dispatch.unknown_department", field=field, code=code)
        if lead in co or len(set(co)) != len(co):
            raise Invalid("dispatch.co_repeats_department", field="co", code=lead)
        return Route(departments[lead], "manual", tuple(departments[c] for c in co))

    return _send(deps, user, ticket_id, chosen, note)


def accept_suggestion(deps: DispatchContext, user: Principal, ticket_id: str) -> list[Assignment]:
    """Sends a ticket on the review queue where its suggested category is routed now (with
    that rule's co-handlers), in one click."""

    def suggested(ticket: Ticket, router: Router) -> Route:
        if ticket.suggestion is None:
            raise Conflict("dispatch.no_suggestion", number=ticket.number)
        if ticket.state != "review":
            raise Conflict("dispatch.suggestion_review_only", number=ticket.number)
        route = suggested_route(router, ticket.suggestion, ticket.area_code)
        if route is None:
            raise Conflict("dispatch.suggestion_without_department", number=ticket.number)
        return replace(route, rule=f"{FROM_SUGGESTION}:{route.rule}")

    return _send(deps, user, ticket_id, suggested, "")


def _send(
    deps: DispatchContext, user: Principal, ticket_id: str, choose: Choose, note: str
) -> list[Assignment]:
    """A dispatch by hand in one transaction; suggested versus final is recorded with it
    and counted once committed."""
    now = deps.now()
    with deps.uow() as u:
        ticket = u.tickets.load(ticket_id, lock=True)
        if ticket is None:
            raise NotFound("dispatch.ticket_not_found", id=ticket_id)
        if ticket.state not in ("review", "returned"):
            raise Conflict("dispatch.ticket_not_waiting", number=ticket.number)
        router = deps.directory.router(u.rules)
        route = choose(ticket, router)
        decision = judge_suggestion(ticket, router, route.department.code, user.username, now)
        if decision is not None:
            u.tickets.decided(decision)
        policy = deps.policy_book(u).choose(ticket.urgency, ticket.category_code)
        attempt = u.assignments.next_attempt(ticket.id, ticket.round)
        outcome = decision.outcome if decision else ""
        order = Dispatch(route, policy, ticket.round, attempt, user.username, now, note, outcome)
        made = dispatch(u, deps, ticket, order)
        u.commit()
    if decision is not None:
        metrics.SUGGESTIONS.labels(decision.outcome).inc()
    return made


def decide(
    deps: DispatchContext, user: Principal, extension_id: str, granted: bool, note: str
) -> Extension:
    now = deps.now()
    with deps.uow() as u:
        extension = u.extensions.load(extension_id)
        if extension is None:
            raise NotFound("dispatch.extension_not_found", id=extension_id)
        assignment = load_for(u, user, extension.assignment_id)
        calendar = deps.calendar(assignment.clocks["resolve"].basis)
        decision = Decision(granted, note, user.username, now)
        decide_extension(extension, assignment, decision, deps.policy_of(assignment), calendar)
        u.extensions.save(extension)
        save_and_publish(u, assignment, now)
        u.commit()
    return extension


def supervise(
    deps: DispatchContext, user: Principal, assignment_id: str, reason: str
) -> Assignment:
    now = deps.now()
    with deps.uow() as u:
        assignment = load_for(u, user, assignment_id)
        if not assignment.supervise(reason, user.username, now):
            raise Conflict("dispatch.already_supervised")
        open_supervision(u, assignment, reason, user.username, now)
        save_and_publish(u, assignment, now)
        u.commit()
    return assignment


def urge(deps: DispatchContext, user: Principal, assignment_id: str, note: str) -> Assignment:
    now = deps.now()
    with deps.uow() as u:
        assignment = load_for(u, user, assignment_id)
        assignment.urge(note, user.username, now)
        save_and_publish(u, assignment, now)
        u.commit()
    return assignment


def end_supervision(
    deps: DispatchContext, user: Principal, assignment_id: str, note: str
) -> Assignment:
    now = deps.now()
    with deps.uow() as u:
        assignment = load_for(u, user, assignment_id)
        assignment.end_supervision(note, user.username, now)
        close_supervision(u, assignment.id, note, user.username, now)
        save_and_publish(u, assignment, now)
        u.commit()
    return assignment
