"""The audit log in search's own database (table `audit_log` in `orm`), on SQLite and
PostgreSQL alike, whichever search backend serves the tickets: it is small, and a text
search over it is a few LIKEs."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, true
from sqlalchemy.orm import Session

from services.common.db import UnitOfWork, upsert
from services.search.adapters.orm import audit_log
from services.search.domain.audit import Filters, Position, Row


class SqlAudit:
    def __init__(self, session: Session) -> None:
        self.session = session

    def keep(self, rows: Iterable[Row]) -> int:
        """Adds the entries not kept yet (by event id); returns how many it added."""
        rows = list(rows)
        if not rows:
            return 0
        dialect = self.session.get_bind().dialect.name
        added = self.session.execute(upsert(dialect, audit_log).on_conflict_do_nothing(), rows)
        return int(added.rowcount)  # type: ignore[attr-defined]

    def page(self, filters: Filters, after: Position | None, limit: int) -> tuple[list[Row], int]:
        """Newest first, from just after `after`; with the count of all that match."""
        where = _where(filters)
        total = self.session.execute(select(func.count()).select_from(audit_log).where(where))
        query: Select[Any] = select(audit_log).where(where)
        if after is not None:
            query = query.where(
                or_(
                    audit_log.c.at < after.at,
                    and_(audit_log.c.at == after.at, audit_log.c.event_id < after.event_id),
                )
            )
        query = query.order_by(audit_log.c.at.desc(), audit_log.c.event_id.desc()).limit(limit)
        rows = [dict(row) for row in self.session.execute(query).mappings()]
        return rows, int(total.scalar_one())

    def get(self, event_id: str) -> Row | None:
        query = select(audit_log).where(audit_log.c.event_id == event_id)
        found = self.session.execute(query).mappings().first()
        return dict(found) if found else None


def _where(filters: Filters) -> ColumnElement[bool]:
    c = audit_log.c
    clauses: list[ColumnElement[bool]] = [
        c.text.contains(t, autoescape=True) for t in filters.terms
    ]
    for column, value in (
        (c.kind, filters.kind),
        (c.key, filters.key),
        (c.by, filters.by),
        (c.action, filters.action),
    ):
        if value is not None:
            clauses.append(column == value)
    if filters.since is not None:
        clauses.append(c.at >= filters.since)
    if filters.until is not None:
        clauses.append(c.at < filters.until)
    return and_(true(), *clauses)


class AuditUnitOfWork(UnitOfWork):
    """The audit consumer's transaction: the inbox row and the entries commit together."""

    audit: SqlAudit

    def attach(self, session: Session) -> None:
        self.audit = SqlAudit(session)


def audit_reader(sessions: Callable[[], Session]) -> Callable[[], AbstractContextManager[SqlAudit]]:
    """Reading the audit log, each time in a session of its own."""

    @contextmanager
    def read() -> Iterator[SqlAudit]:
        with sessions() as session:
            yield SqlAudit(session)

    return read
