"""What every use case needs, built once by bootstrap, and the steps they share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from proto.envelope import new_id
from services.common.auth import Principal, Role
from services.common.clock import utcnow
from services.common.errors import NotFound
from services.dispatch import metrics
from services.dispatch.domain.assignment import Assignment
from services.dispatch.domain.calendar import Basis, Calendar, Calendars
from services.dispatch.domain.sla import ClockName, Policy, PolicyBook
from services.dispatch.handlers.ports import Routers, UnitOfWork


@dataclass
class DispatchContext:
    uow: Callable[[], UnitOfWork]
    directory: Routers
    policies: PolicyBook
    calendars: Calendars
    now: Callable[[], datetime] = utcnow
    new_id: Callable[[], str] = new_id
    # True: `policies` are the database's, reloaded whenever their version moved (an admin
    # changed one, on any instance); False keeps the book given (tools, unit tests).
    policies_stored: bool = False
    _policies_version: int = field(default=-1, repr=False)

    def calendar(self, basis: Basis) -> Calendar:
        return self.calendars(basis)

    def policy_book(self, u: UnitOfWork) -> PolicyBook:
        """The policies a clock started now must use, read in the caller's transaction."""
        if self.policies_stored:
            version = u.sla.version()
            if version != self._policies_version:
                self.policies, self._policies_version = u.sla.book(), version
        return self.policies

    def policy_of(self, assignment: Assignment) -> Policy:
        return self.policies.policies.get(assignment.policy) or self.policies.policies["general"]


def may_see(user: Principal, assignment: Assignment) -> bool:
    """Department staff see their own department's assignments only; the others see all."""
    return user.role != Role.dept_staff or user.department == assignment.department_code


def load_for(u: UnitOfWork, user: Principal, assignment_id: str) -> Assignment:
    """The assignment, locked for change; another department's is reported as missing."""
    assignment = u.assignments.load(assignment_id, lock=True)
    if assignment is None or not may_see(user, assignment):
        raise NotFound("dispatch.assignment_not_found", id=assignment_id)
    return assignment


def publish(u: UnitOfWork, assignment: Assignment, now: datetime) -> None:
    """Outbox and history for what the assignment recorded, in the caller's transaction."""
    for event in assignment.events:
        u.publish(event, ticket_id=assignment.ticket_id, occurred_at=now)
    u.assignments.record_activity(assignment.events, now)
    assignment.events.clear()


def save_and_publish(u: UnitOfWork, assignment: Assignment, now: datetime) -> None:
    u.assignments.save(assignment)
    publish(u, assignment, now)


def open_supervision(u: UnitOfWork, a: Assignment, reason: str, by: str, now: datetime) -> None:
    """Adds the assignment to the supervision list (the caller has set `supervised`)."""
    u.supervisions.open(a, reason, by, now)


def close_supervision(u: UnitOfWork, assignment_id: str, note: str, by: str, now: datetime) -> None:
    u.supervisions.close(assignment_id, note, by, now)


def observe(clock: ClockName, assignment: Assignment, moment: datetime) -> None:
    """Feeds a time-to histogram and the SLA compliance counter once a step is committed."""
    metrics.TIME_TO[clock].observe((moment - assignment.dispatched_at).total_seconds())
    running = assignment.clocks.get(clock)
    if running is not None:
        outcome = "met" if running.within else "missed"
        metrics.CLOCKS_COMPLETED.labels(clock, assignment.department_code, outcome).inc()
