"""What a dispatcher does: send a ticket from the review or returned list, decide
extensions, and keep the supervision (督办) list."""

from __future__ import annotations

from collections.abc import Sequence

from services.common.auth import Principal
from services.common.errors import Conflict, Invalid, NotFound
from services.dispatch.domain.assignment import Assignment
from services.dispatch.domain.dispatching import Dispatch
from services.dispatch.domain.extension import Decision, Extension, decide_extension
from services.dispatch.domain.routing import Route
from services.dispatch.handlers.context import (
    DispatchContext,
    close_supervision,
    load_for,
    open_supervision,
    save_and_publish,
)
from services.dispatch.handlers.routing import dispatch


def dispatch_by_hand(
    deps: DispatchContext, user: Principal, ticket_id: str, lead: str, co: Sequence[str], note: str
) -> list[Assignment]:
    """Sends a ticket waiting on the review or returned list to the departments chosen."""
    now = deps.now()
    with deps.uow() as u:
        ticket = u.tickets.load(ticket_id)
        if ticket is None:
            raise NotFound("dispatch.ticket_not_found", id=ticket_id)
        if ticket.state not in ("review", "returned"):
            raise Conflict("dispatch.ticket_not_waiting", number=ticket.number)
        departments = deps.directory.router(u.rules).departments
        for field, code in (("department_code", lead), *(("co", c) for c in co)):
            if code not in departments:
                raise Invalid("dispatch.unknown_department", field=field, code=code)
        if lead in co or len(set(co)) != len(co):
            raise Invalid("dispatch.co_repeats_department", field="co", code=lead)
        route = Route(departments[lead], "manual", tuple(departments[c] for c in co))
        policy = deps.policy_book(u).choose(ticket.urgency, ticket.category_code)
        attempt = u.assignments.next_attempt(ticket.id, ticket.round)
        order = Dispatch(route, policy, ticket.round, attempt, user.username, now, note)
        made = dispatch(u, deps, ticket, order)
        u.commit()
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
