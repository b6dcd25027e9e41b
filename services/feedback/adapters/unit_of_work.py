"""The feedback unit of work: the SQL repositories the use cases reach through it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from services.common.db import UnitOfWork
from services.feedback.adapters import appeals, invitations, ratings, tracking
from services.feedback.domain.rates import Tally


class SqlAppeals:
    def __init__(self, session: Session):
        self._session = session

    def add(self, **values: Any) -> None:
        return appeals.add(self._session, **values)

    def add_step(self, **values: Any) -> None:
        return appeals.add_step(self._session, **values)

    def decide(self, appeal_id: str, status: str, by: str, at: datetime, reason: str) -> None:
        return appeals.decide(self._session, appeal_id, status, by, at, reason)

    def excluded(self, ticket_id: str, department_code: str) -> bool:
        return appeals.excluded(self._session, ticket_id, department_code)

    def excluded_in(self, month: str) -> dict[str, tuple[int, int]]:
        return appeals.excluded_in(self._session, month)

    def get(self, appeal_id: str) -> Row[Any] | None:
        return appeals.get(self._session, appeal_id)

    def latest_rating_at(self, ticket_id: str, department_code: str) -> datetime | None:
        return appeals.latest_rating_at(self._session, ticket_id, department_code)

    def listed(
        self, status: str | None, department_code: str | None, limit: int
    ) -> list[dict[str, Any]]:
        return appeals.listed(self._session, status, department_code, limit)

    def standing(self, ticket_id: str, department_code: str, kind: str) -> str | None:
        return appeals.standing(self._session, ticket_id, department_code, kind)


class SqlInvitations:
    def __init__(self, session: Session):
        self._session = session

    def add(self, **values: Any) -> None:
        return invitations.add(self._session, **values)

    def awaiting_callback(self, limit: int) -> list[Row[Any]]:
        return invitations.awaiting_callback(self._session, limit)

    def count_pending(self) -> int:
        return invitations.count_pending(self._session)

    def due_for_expiry(self, now: datetime, limit: int) -> list[Row[Any]]:
        return invitations.due_for_expiry(self._session, now, limit)

    def finish(self, invitation_id: str, status: str, now: datetime) -> bool:
        return invitations.finish(self._session, invitation_id, status, now)

    def get(self, invitation_id: str) -> Row[Any] | None:
        return invitations.get(self._session, invitation_id)

    def of_ticket(self, ticket_id: str) -> list[Row[Any]]:
        return invitations.of_ticket(self._session, ticket_id)

    def pending_for(self, ticket_id: str) -> Row[Any] | None:
        return invitations.pending_for(self._session, ticket_id)

    def supersede_pending(self, ticket_id: str, now: datetime) -> None:
        return invitations.supersede_pending(self._session, ticket_id, now)


class SqlRatings:
    def __init__(self, session: Session):
        self._session = session

    def add(self, **values: Any) -> None:
        return ratings.add(self._session, **values)

    def add_callback(self, **values: Any) -> None:
        return ratings.add_callback(self._session, **values)

    def callbacks_of_ticket(self, ticket_id: str) -> list[Row[Any]]:
        return ratings.callbacks_of_ticket(self._session, ticket_id)

    def of_month(self, month: str) -> Iterator[Row[Any]]:
        return ratings.of_month(self._session, month)

    def of_ticket(self, ticket_id: str) -> list[Row[Any]]:
        return ratings.of_ticket(self._session, ticket_id)

    def tally(self, month: str) -> list[Tally]:
        return ratings.tally(self._session, month)


class SqlTracking:
    def __init__(self, session: Session):
        self._session = session

    def add_assignment(self, **values: Any) -> None:
        return tracking.add_assignment(self._session, **values)

    def assignment(self, assignment_id: str | None) -> Row[Any] | None:
        return tracking.assignment(self._session, assignment_id)

    def assignments_of(self, ticket_id: str) -> list[Row[Any]]:
        return tracking.assignments_of(self._session, ticket_id)

    def department_codes(self) -> list[str]:
        return tracking.department_codes(self._session)

    def department_names(self, codes: list[str]) -> dict[str, str]:
        return tracking.department_names(self._session, codes)

    def ensure_ticket(self, ticket_id: str, now: datetime) -> Row[Any]:
        return tracking.ensure_ticket(self._session, ticket_id, now)

    def remember_department(self, code: str, name: str) -> None:
        return tracking.remember_department(self._session, code, name)

    def set_first(self, assignment_id: str, column: str, at: datetime, **with_it: Any) -> None:
        return tracking.set_first(self._session, assignment_id, column, at, **with_it)

    def set_ticket(self, ticket_id: str, now: datetime, **values: Any) -> None:
        return tracking.set_ticket(self._session, ticket_id, now, **values)

    def ticket(self, ticket_id: str) -> Row[Any] | None:
        return tracking.ticket(self._session, ticket_id)

    def ticket_departments(self, ticket_id: str) -> set[str]:
        return tracking.ticket_departments(self._session, ticket_id)

    def track_ticket(self, ticket_id: str, now: datetime) -> None:
        return tracking.track_ticket(self._session, ticket_id, now)

    def update_assignment(self, assignment_id: str, **values: Any) -> None:
        return tracking.update_assignment(self._session, assignment_id, **values)

    def update_ticket(self, ticket_id: str, now: datetime, **values: Any) -> bool:
        return tracking.update_ticket(self._session, ticket_id, now, **values)


class FeedbackUnitOfWork(UnitOfWork):
    appeals: SqlAppeals
    invitations: SqlInvitations
    ratings: SqlRatings
    tracking: SqlTracking

    def attach(self, session: Session) -> None:
        self.appeals = SqlAppeals(session)
        self.invitations = SqlInvitations(session)
        self.ratings = SqlRatings(session)
        self.tracking = SqlTracking(session)
