"""Reactions to other services' events, inside the consumer's transaction (which commits
them with the inbox row, so a redelivered event changes nothing)."""

from __future__ import annotations

import logging
from dataclasses import replace

from proto.assignments import TicketQueuedForReview
from proto.envelope import Envelope
from proto.feedback import ReopenRequested
from proto.tickets import CategorySuggestion, TicketCreated, TicketRaisedForSupervision
from services.dispatch import metrics
from services.dispatch.domain.assignment import Assignment
from services.dispatch.domain.dispatching import Dispatch, Suggestion, Ticket, reopen_route
from services.dispatch.handlers.context import DispatchContext, open_supervision, save_and_publish
from services.dispatch.handlers.ports import UnitOfWork
from services.dispatch.handlers.routing import dispatch

log = logging.getLogger(__name__)


def ticket_of(envelope: Envelope, event: TicketCreated) -> Ticket:
    return Ticket(
        id=envelope.ticket_id,
        number=event.number,
        category_code=event.category_code,
        category_name=" / ".join(event.category_path),
        area_code=event.area_code,
        area_name=" ".join(event.area_path),
        urgency=event.urgency,
        description=event.description,
        has_phone=event.with_number,
        created_at=event.created_at,
        state="answered" if event.answered_directly else "review",
        channel=event.channel,
        frequent_caller=event.frequent_caller,
        suggestion=suggestion_of(event.suggestion),
    )


def suggestion_of(suggested: CategorySuggestion | None) -> Suggestion | None:
    if suggested is None:
        return None
    words = tuple(suggested.words)
    return Suggestion(suggested.category_code, suggested.confidence, suggested.model_version, words)


def categories_in(event: TicketCreated) -> dict[str, str]:
    """The codes of the ticket's category and its parents, named by its path (2 digits a
    level), which is how dispatch learns categories added to intake's catalogue."""
    code, path = event.category_code, event.category_path
    return {code[: 2 * (i + 1)]: name for i, name in enumerate(path) if 2 * (i + 1) <= len(code)}


def on_ticket_created(
    deps: DispatchContext, u: UnitOfWork, envelope: Envelope, event: TicketCreated
) -> None:
    """Routes a new ticket: assignments with clocks, or the review queue when no rule nor
    territory can say who must act."""
    u.rules.learn_categories(categories_in(event), "learned")
    ticket = ticket_of(envelope, event)
    u.tickets.add(ticket)
    if event.answered_directly:
        return  # answered at intake (直接答复): no department has anything to do
    route = deps.directory.router(u.rules).route(event.category_code, event.area_code)
    if event.review:
        # Intake knows a rule cannot be trusted here (the citizen was unsure, an email).
        route = replace(route, confident=False, reason=event.review[:40])
    now = deps.now()
    if not route.confident:
        ticket.review_reason = route.reason
        u.tickets.save(ticket)
        u.publish(TicketQueuedForReview(reason=route.reason, at=now), ticket_id=ticket.id)
        metrics.ROUTED.labels("review", ticket.channel).inc()
        return
    policy = deps.policy_book(u).choose(event.urgency, event.category_code)
    dispatch(u, deps, ticket, Dispatch(route, policy, 1, 1, "routing", now))


def on_raised_for_supervision(
    deps: DispatchContext, u: UnitOfWork, envelope: Envelope, event: TicketRaisedForSupervision
) -> None:
    """A third call about the same ticket puts its open lead assignment under 督办."""
    reason = f"repeat_calls:{event.calls}"
    for assignment in _open_leads(u, envelope.ticket_id):
        _supervise(deps, u, assignment, reason, "intake")


def on_reopen_requested(
    deps: DispatchContext, u: UnitOfWork, envelope: Envelope, event: ReopenRequested
) -> None:
    """重办: a new round with fresh clocks, or supervision past the reopen limit."""
    history = u.assignments.of_ticket(envelope.ticket_id)
    leads = [a for a in history if a.role == "lead"]
    if event.supervise:
        if leads:
            _supervise(deps, u, leads[0], f"reopen_limit:{event.reopen_count}", "feedback")
        return
    ticket = u.tickets.load(envelope.ticket_id)
    if ticket is None:
        log.warning("reopen for a ticket dispatch never saw: %s", envelope.ticket_id)
        return
    router = deps.directory.router(u.rules)
    previous = router.departments.get(leads[0].department_code if leads else "")
    route = reopen_route(router, ticket, previous)
    round_ = max((a.round for a in history), default=ticket.round) + 1
    policy = deps.policy_book(u).choose(ticket.urgency, ticket.category_code)
    note = event.comment[:1000]
    dispatch(u, deps, ticket, Dispatch(route, policy, round_, 1, "feedback", deps.now(), note))


def _open_leads(u: UnitOfWork, ticket_id: str) -> list[Assignment]:
    history = u.assignments.of_ticket(ticket_id)
    return [a for a in history if a.role == "lead" and a.is_open]


def _supervise(
    deps: DispatchContext, u: UnitOfWork, assignment: Assignment, reason: str, by: str
) -> None:
    now = deps.now()
    if assignment.supervise(reason, by, now):
        open_supervision(u, assignment, reason, by, now)
        save_and_publish(u, assignment, now)
