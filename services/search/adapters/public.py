"""Published months in search's database: written once per month (two instances publishing
at once keep the first row), the sealed root filled in once known."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.common.db import upsert
from services.search.adapters.orm import public_months

_M = public_months.c


class PublishedMonths:
    def __init__(self, sessions: Callable[[], AbstractContextManager[Session]]) -> None:
        self._sessions = sessions

    def get(self, month: str) -> dict[str, Any] | None:
        with self._sessions() as session:
            row = session.execute(select(public_months).where(_M.month == month)).first()
        return None if row is None else dict(row._mapping)

    def listed(self) -> list[dict[str, Any]]:
        """Every published month, newest first, without its figures."""
        query = select(_M.month, _M.published_at, _M.root).order_by(_M.month.desc())
        with self._sessions() as session:
            return [dict(row._mapping) for row in session.execute(query)]

    def add(self, month: str, figures: dict[str, Any], at: datetime) -> None:
        """Keeps the month's figures unless they are there already."""
        with self._sessions() as session, session.begin():
            insert = upsert(session.get_bind().dialect.name, public_months)
            row = {"month": month, "figures": figures, "published_at": at, "root": None}
            session.execute(insert.values(row).on_conflict_do_nothing(index_elements=[_M.month]))

    def seal(self, month: str, root: str) -> None:
        """Fills in the month's root; a root once written is never changed."""
        with self._sessions() as session, session.begin():
            chosen = _M.month == month
            session.execute(
                update(public_months).where(chosen, _M.root.is_(None)).values(root=root)
            )
