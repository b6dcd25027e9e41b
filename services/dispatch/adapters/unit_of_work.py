"""The dispatch unit of work: the SQL repositories the use cases reach through it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from proto.envelope import Event
from services.common.db import UnitOfWork
from services.dispatch.adapters import repository
from services.dispatch.adapters.calendar_data import SqlCalendar
from services.dispatch.adapters.clock_store import SqlClocks
from services.dispatch.adapters.department_store import SqlDepartments
from services.dispatch.adapters.hotspot_store import SqlHotspotAlarms
from services.dispatch.adapters.notice_store import SqlNotices
from services.dispatch.adapters.orm import assignments, supervisions
from services.dispatch.adapters.rule_store import SqlRules
from services.dispatch.adapters.sla_store import SqlPolicies
from services.dispatch.domain.assignment import Assignment
from services.dispatch.domain.dispatching import SuggestionDecision, Ticket
from services.dispatch.domain.extension import Extension

# Built once, so SQLAlchemy's compiled cache is hit instead of compiling per call; in an
# UPDATE the parameters' other keys make the SET clause.
_LAST_ATTEMPT = select(func.max(assignments.c.attempt)).where(
    assignments.c.ticket_id == bindparam("b_ticket_id"), assignments.c.round == bindparam("b_round")
)
_OPEN_SUPERVISION = supervisions.insert()
_CLOSE_SUPERVISION = update(supervisions).where(
    supervisions.c.assignment_id == bindparam("b_assignment_id"),
    supervisions.c.closed_at.is_(None),
)


class SqlAssignments:
    def __init__(self, session: Session):
        self._session = session

    def load(self, assignment_id: str, *, lock: bool = False) -> Assignment | None:
        return repository.load(self._session, assignment_id, lock=lock)

    def add(self, assignment: Assignment) -> None:
        repository.add(self._session, assignment)

    def save(self, assignment: Assignment) -> None:
        repository.save(self._session, assignment)

    def record_activity(self, events: Sequence[Event], at: datetime) -> None:
        repository.record_activity(self._session, events, at)

    def next_attempt(self, ticket_id: str, round_: int) -> int:
        params = {"b_ticket_id": ticket_id, "b_round": round_}
        return (self._session.execute(_LAST_ATTEMPT, params).scalar() or 0) + 1

    def of_ticket(self, ticket_id: str) -> list[Assignment]:
        return repository.round_assignments(self._session, ticket_id)


class SqlTickets:
    def __init__(self, session: Session):
        self._session = session

    def load(self, ticket_id: str, *, lock: bool = False) -> Ticket | None:
        return repository.load_ticket(self._session, ticket_id, lock=lock)

    def add(self, ticket: Ticket) -> None:
        repository.add_ticket(self._session, ticket)

    def save(self, ticket: Ticket) -> None:
        repository.save_ticket(self._session, ticket)

    def decided(self, decision: SuggestionDecision) -> None:
        repository.add_decision(self._session, decision)


class SqlExtensions:
    def __init__(self, session: Session):
        self._session = session

    def load(self, extension_id: str) -> Extension | None:
        return repository.load_extension(self._session, extension_id)

    def has_pending(self, assignment_id: str) -> bool:
        return repository.has_pending_extension(self._session, assignment_id)

    def add(self, extension: Extension) -> None:
        repository.add_extension(self._session, extension)

    def save(self, extension: Extension) -> None:
        repository.save_extension(self._session, extension)


class SqlSupervisions:
    def __init__(self, session: Session):
        self._session = session

    def open(self, assignment: Assignment, reason: str, by: str, now: datetime) -> None:
        row = {
            "assignment_id": assignment.id,
            "ticket_id": assignment.ticket_id,
            "department_code": assignment.department_code,
            "reason": reason,
            "opened_by": by,
            "opened_at": now,
        }
        self._session.execute(_OPEN_SUPERVISION, row)

    def close(self, assignment_id: str, note: str, by: str, now: datetime) -> None:
        values = {"closed_by": by, "closed_at": now, "note": note}
        self._session.execute(_CLOSE_SUPERVISION, values | {"b_assignment_id": assignment_id})


class DispatchUnitOfWork(UnitOfWork):
    assignments: SqlAssignments
    tickets: SqlTickets
    extensions: SqlExtensions
    supervisions: SqlSupervisions
    rules: SqlRules
    clocks: SqlClocks
    notices: SqlNotices
    calendar: SqlCalendar
    departments: SqlDepartments
    sla: SqlPolicies
    hotspots: SqlHotspotAlarms

    def attach(self, session: Session) -> None:
        self.assignments = SqlAssignments(session)
        self.tickets = SqlTickets(session)
        self.extensions = SqlExtensions(session)
        self.supervisions = SqlSupervisions(session)
        self.rules = SqlRules(session)
        self.clocks = SqlClocks(session)
        self.notices = SqlNotices(session)
        self.calendar = SqlCalendar(session)
        self.departments = SqlDepartments(session)
        self.sla = SqlPolicies(session)
        self.hotspots = SqlHotspotAlarms(session)
