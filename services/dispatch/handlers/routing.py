"""Turning a route into assignments, for the consumer and for a dispatcher alike."""

from __future__ import annotations

from services.dispatch import metrics
from services.dispatch.domain.assignment import Assignment
from services.dispatch.domain.dispatching import Dispatch, Ticket, assignments_for
from services.dispatch.handlers.context import DispatchContext, publish
from services.dispatch.handlers.ports import UnitOfWork


def dispatch(
    u: UnitOfWork, deps: DispatchContext, ticket: Ticket, order: Dispatch
) -> list[Assignment]:
    """Creates the lead and co assignments with their clocks and events; the ticket leaves
    the review and returned lists. The caller commits."""
    made = assignments_for(ticket, order, deps.calendar, deps.new_id)
    for assignment in made:
        u.assignments.add(assignment)
        publish(u, assignment, order.now)
    ticket.state, ticket.round, ticket.review_reason = "dispatched", order.round, ""
    u.tickets.save(ticket)
    metrics.ROUTED.labels(order.route.rule.split(":", 1)[0], ticket.channel).inc()
    return made
