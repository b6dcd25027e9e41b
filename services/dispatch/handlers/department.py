"""What a department does with its assignment: 签收, 联系, progress, 办结, 退单, waiting on
the citizen, 延期. Each checks the caller may touch this assignment, then one transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from services.common.auth import Principal
from services.dispatch.domain.assignment import Assignment
from services.dispatch.domain.extension import Extension, ExtensionAsk, request_extension
from services.dispatch.handlers.context import DispatchContext, load_for, observe, save_and_publish

Action = Callable[[Assignment, datetime], None]


def _act(deps: DispatchContext, user: Principal, assignment_id: str, action: Action) -> Assignment:
    now = deps.now()
    with deps.uow() as u:
        assignment = load_for(u, user, assignment_id)
        action(assignment, now)
        save_and_publish(u, assignment, now)
        u.commit()
    return assignment


def acknowledge(deps: DispatchContext, user: Principal, assignment_id: str) -> Assignment:
    done = _act(deps, user, assignment_id, lambda a, now: a.acknowledge(user.username, now))
    observe("acknowledge", done, done.acknowledged_at or deps.now())
    return done


def contact(
    deps: DispatchContext,
    user: Principal,
    assignment_id: str,
    note: str,
    photos: Sequence[str] = (),
) -> Assignment:
    """联系: the note and the field photos (ids intake's upload returned) go into the event."""
    first = []

    def action(a: Assignment, now: datetime) -> None:
        first.append(a.contacted_at is None)
        a.contact(note, user.username, now, photos)

    done = _act(deps, user, assignment_id, action)
    if first[0] and done.contacted_at:
        observe("contact", done, done.contacted_at)
    return done


def note_progress(
    deps: DispatchContext, user: Principal, assignment_id: str, note: str
) -> Assignment:
    return _act(deps, user, assignment_id, lambda a, now: a.note_progress(note, user.username, now))


def resolve(
    deps: DispatchContext,
    user: Principal,
    assignment_id: str,
    outcome: str,
    photos: Sequence[str] = (),
) -> Assignment:
    def action(a: Assignment, now: datetime) -> None:
        a.resolve(outcome, user.username, now, photos)

    done = _act(deps, user, assignment_id, action)
    observe("resolve", done, done.resolved_at or deps.now())
    return done


def give_back(
    deps: DispatchContext, user: Principal, assignment_id: str, code: str, reason: str
) -> Assignment:
    """退单: the assignment closes; a returned lead puts the ticket on the dispatchers'
    returned list."""
    now = deps.now()
    with deps.uow() as u:
        assignment = load_for(u, user, assignment_id)
        assignment.give_back(code, reason, user.username, now)
        save_and_publish(u, assignment, now)
        ticket = u.tickets.load(assignment.ticket_id)
        if ticket is not None and assignment.role == "lead":
            ticket.state = "returned"
            u.tickets.save(ticket)
        u.commit()
    return assignment


def pause(deps: DispatchContext, user: Principal, assignment_id: str, reason: str) -> Assignment:
    def action(a: Assignment, now: datetime) -> None:
        a.pause(reason, user.username, now, deps.calendar)

    return _act(deps, user, assignment_id, action)


def resume(deps: DispatchContext, user: Principal, assignment_id: str) -> Assignment:
    def action(a: Assignment, now: datetime) -> None:
        a.resume(user.username, now, deps.calendar)

    return _act(deps, user, assignment_id, action)


def ask_extension(
    deps: DispatchContext, user: Principal, assignment_id: str, new_due: datetime, reason: str
) -> Extension:
    now = deps.now()
    with deps.uow() as u:
        assignment = load_for(u, user, assignment_id)
        pending = u.extensions.has_pending(assignment.id)
        ask = ExtensionAsk(deps.new_id(), new_due, reason, user.username, now)
        calendar = deps.calendar(assignment.clocks["resolve"].basis)
        extension = request_extension(
            assignment, ask, deps.policy_of(assignment), calendar, pending
        )
        u.extensions.add(extension)
        save_and_publish(u, assignment, now)
        u.commit()
    return extension
