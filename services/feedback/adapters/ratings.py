"""Stored ratings and callbacks, and the GROUP BY the ranking is computed from."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, func, insert, select
from sqlalchemy.orm import Session

from services.feedback.adapters.appeals import upheld_for
from services.feedback.adapters.orm import callbacks, ratings
from services.feedback.domain.rates import Tally


def add(session: Session, **values: Any) -> None:
    session.execute(insert(ratings).values(**values))


def add_callback(session: Session, **values: Any) -> None:
    session.execute(insert(callbacks).values(**values))


def tally(session: Session, month: str) -> list[Tally]:
    """One Tally per department with ratings in `month`, counted by the database.

    Ratings without a department (answered at intake) rank no one, and neither count the
    ratings of a ticket an upheld appeal excludes from that department's rates.
    """
    r = ratings.c
    query = (
        select(
            r.department_code,
            func.count().label("rated"),
            func.count().filter(and_(r.contacted, r.contact_on_time)).label("responded"),
            func.count().filter(r.solved).label("solved"),
            func.count().filter(r.satisfaction == "satisfied").label("satisfied"),
            func.count().filter(r.satisfaction == "basically_satisfied").label("basic"),
        )
        .where(r.month == month, r.department_code.is_not(None))
        .where(~upheld_for(r.ticket_id, r.department_code))
        .group_by(r.department_code)
    )
    return [
        Tally(row.department_code, row.rated, row.responded, row.solved, row.satisfied, row.basic)
        for row in session.execute(query)
    ]


EXPORT_COLUMNS = (
    "rating_id",
    "ticket_id",
    "round",
    "department_code",
    "via",
    "contacted",
    "contact_on_time",
    "solved",
    "satisfaction",
    "rated_at",
    "excluded_by_appeal",
)


def of_month(session: Session, month: str) -> Iterator[Row[Any]]:
    """The month's ratings without comments or names: everything the rates use, no more
    (`excluded_by_appeal`: an upheld appeal takes the rating out of its department's rates)."""
    r = ratings.c
    columns: list[ColumnElement[Any]] = [r[name] for name in EXPORT_COLUMNS[:-1]]
    columns.append(upheld_for(r.ticket_id, r.department_code).label("excluded_by_appeal"))
    query = select(*columns).where(ratings.c.month == month).order_by(ratings.c.rated_at)
    yield from session.execute(query.execution_options(yield_per=5000))


def of_ticket(session: Session, ticket_id: str) -> list[Row[Any]]:
    query = select(ratings).where(ratings.c.ticket_id == ticket_id)
    return list(session.execute(query.order_by(ratings.c.rated_at)))


def callbacks_of_ticket(session: Session, ticket_id: str) -> list[Row[Any]]:
    query = select(callbacks).where(callbacks.c.ticket_id == ticket_id)
    return list(session.execute(query.order_by(callbacks.c.at)))
