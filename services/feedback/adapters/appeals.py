"""Stored appeals and their steps, and the test the rates' GROUP BY excludes tickets by."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.errors import Conflict
from services.feedback.adapters.orm import appeal_steps, appeals, ratings, tickets


def upheld_for(ticket_id: Any, department_code: Any) -> ColumnElement[bool]:
    """True where an upheld appeal excludes the ticket from the department's rates."""
    a = appeals.c
    return exists().where(
        a.ticket_id == ticket_id, a.department_code == department_code, a.status == "upheld"
    )


def add(session: Session, **values: Any) -> None:
    """Refuses (409) a second pending appeal of one kind, filed at the same moment as the
    first: the partial unique index decides between them."""
    try:
        session.execute(insert(appeals).values(**values))
    except IntegrityError:
        raise Conflict("feedback.appeal_pending", field="kind") from None


def add_step(session: Session, **values: Any) -> None:
    session.execute(insert(appeal_steps).values(**values))


def get(session: Session, appeal_id: str) -> Row[Any] | None:
    query = select(appeals).where(appeals.c.appeal_id == appeal_id)
    return session.execute(query.with_for_update()).first()


def standing(session: Session, ticket_id: str, department_code: str, kind: str) -> str | None:
    """'pending' or 'upheld' when such an appeal of this kind stands already, else None."""
    a = appeals.c
    query = select(a.status).where(
        a.ticket_id == ticket_id,
        a.department_code == department_code,
        a.kind == kind,
        a.status.in_(("pending", "upheld")),
    )
    found = list(session.execute(query).scalars())
    return "pending" if "pending" in found else (found[0] if found else None)


def excluded(session: Session, ticket_id: str, department_code: str) -> bool:
    return bool(session.execute(select(upheld_for(ticket_id, department_code))).scalar())


def decide(
    session: Session, appeal_id: str, status: str, by: str, at: datetime, reason: str
) -> None:
    session.execute(
        update(appeals)
        .where(appeals.c.appeal_id == appeal_id)
        .values(status=status, decided_by=by, decided_at=at, decision_reason=reason)
    )


def listed(
    session: Session, status: str | None, department_code: str | None, limit: int
) -> list[dict[str, Any]]:
    """Appeals newest first, each with its ticket's number and its steps in order."""
    a = appeals.c
    query = select(appeals, tickets.c.number).join(
        tickets, tickets.c.ticket_id == a.ticket_id, isouter=True
    )
    if status is not None:
        query = query.where(a.status == status)
    if department_code is not None:
        query = query.where(a.department_code == department_code)
    rows = [
        dict(r._mapping) for r in session.execute(query.order_by(a.filed_at.desc()).limit(limit))
    ]
    steps: dict[str, list[dict[str, Any]]] = {r["appeal_id"]: [] for r in rows}
    if steps:
        s = appeal_steps.c
        found = select(appeal_steps).where(s.appeal_id.in_(steps)).order_by(s.at, s.step_id)
        for step in session.execute(found):
            steps[step.appeal_id].append(dict(step._mapping))
    return [row | {"steps": steps[row["appeal_id"]]} for row in rows]


def latest_rating_at(session: Session, ticket_id: str, department_code: str) -> datetime | None:
    r = ratings.c
    query = select(func.max(r.rated_at)).where(
        r.ticket_id == ticket_id, r.department_code == department_code
    )
    value: datetime | None = session.execute(query).scalar()
    return value


def excluded_in(session: Session, month: str) -> dict[str, tuple[int, int]]:
    """Per department: the tickets, and their ratings, of `month` that upheld appeals
    exclude from its rates."""
    r = ratings.c
    query = (
        select(r.department_code, func.count(r.ticket_id.distinct()), func.count())
        .where(
            and_(r.month == month, r.department_code.is_not(None)),
            upheld_for(r.ticket_id, r.department_code),
        )
        .group_by(r.department_code)
    )
    return {code: (tickets_, rated) for code, tickets_, rated in session.execute(query)}
