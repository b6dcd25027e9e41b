"""Turning a route into assignments, for the consumer and for a dispatcher alike."""

from __future__ import annotations

from sqlalchemy import bindparam, func, select

from services.common.db import UnitOfWork
from services.dispatch import metrics
from services.dispatch.adapters import repository
from services.dispatch.adapters.orm import assignments
from services.dispatch.domain.assignment import Assignment
from services.dispatch.domain.dispatching import Dispatch, Ticket, assignments_for
from services.dispatch.handlers.context import Deps, publish

# Built once, so SQLAlchemy's compiled cache is hit instead of compiling per call.
_LAST_ATTEMPT = select(func.max(assignments.c.attempt)).where(
    assignments.c.ticket_id == bindparam("b_ticket_id"), assignments.c.round == bindparam("b_round")
)


def next_attempt(u: UnitOfWork, ticket_id: str, round_: int) -> int:
    params = {"b_ticket_id": ticket_id, "b_round": round_}
    return (u.session.execute(_LAST_ATTEMPT, params).scalar() or 0) + 1


def dispatch(u: UnitOfWork, deps: Deps, ticket: Ticket, order: Dispatch) -> list[Assignment]:
    """Creates the lead and co assignments with their clocks and events; the ticket leaves
    the review and returned lists. The caller commits."""
    made = assignments_for(ticket, order, deps.calendar, deps.new_id)
    for assignment in made:
        repository.add(u.session, assignment)
        publish(u, assignment, order.now)
    ticket.state, ticket.round, ticket.review_reason = "dispatched", order.round, ""
    repository.save_ticket(u.session, ticket)
    metrics.ROUTED.labels(order.route.rule.split(":", 1)[0]).inc()
    return made
