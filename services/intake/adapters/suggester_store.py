"""The suggester's model versions and its training tickets in intake's database. Inside the
caller's transaction; never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from services.intake.adapters.orm import suggester_models, tickets
from services.intake.domain.suggest import Labelled

# Asked on every suggestion (has the serving model changed?): built once.
_SERVING = select(suggester_models.c.version).where(suggester_models.c.serving)
_LISTED = [c for c in suggester_models.c if c.name != "model"]


def serving(session: Session) -> int | None:
    return session.execute(_SERVING).scalar()


def model_bytes(session: Session, version: int) -> bytes | None:
    query = select(suggester_models.c.model).where(suggester_models.c.version == version)
    return session.execute(query).scalar()


def get(session: Session, version: int) -> dict[str, Any] | None:
    query = select(*_LISTED).where(suggester_models.c.version == version)
    row = session.execute(query).first()
    return dict(row._mapping) if row else None


def listed(session: Session) -> list[dict[str, Any]]:
    """Every version without its model bytes, newest first."""
    query = select(*_LISTED).order_by(suggester_models.c.version.desc())
    return [dict(r._mapping) for r in session.execute(query)]


def add(session: Session, values: dict[str, Any]) -> int:
    """Stores a new version (numbered after the latest, locked against a concurrent
    training by the table's primary key) and returns its number."""
    latest = session.execute(select(func.max(suggester_models.c.version))).scalar() or 0
    number = int(latest) + 1
    session.execute(insert(suggester_models).values(version=number, **values))
    return number


def serve(session: Session, version: int) -> None:
    session.execute(
        update(suggester_models)
        .where(suggester_models.c.serving | (suggester_models.c.version == version))
        .values(serving=suggester_models.c.version == version)
    )


def labelled(session: Session) -> list[Labelled]:
    """Every ticket's description with the category it was logged under."""
    query = select(tickets.c.id, tickets.c.description, tickets.c.category_code)
    return [Labelled(r.id, r.description, r.category_code) for r in session.execute(query)]


def latest_created_at(session: Session) -> datetime | None:
    return session.execute(select(func.max(suggester_models.c.created_at))).scalar()


def tickets_since(session: Session, at: datetime | None) -> int:
    query = select(func.count()).select_from(tickets)
    if at is not None:
        query = query.where(tickets.c.created_at > at)
    return int(session.execute(query).scalar() or 0)


class SqlSuggesters:
    """The functions above on one session: the `suggesters` repository of intake's unit
    of work."""

    def __init__(self, session: Session):
        self._session = session

    def serving(self) -> int | None:
        return serving(self._session)

    def model_bytes(self, version: int) -> bytes | None:
        return model_bytes(self._session, version)

    def get(self, version: int) -> dict[str, Any] | None:
        return get(self._session, version)

    def listed(self) -> list[dict[str, Any]]:
        return listed(self._session)

    def add(self, values: dict[str, Any]) -> int:
        return add(self._session, values)

    def serve(self, version: int) -> None:
        serve(self._session, version)

    def labelled(self) -> list[Labelled]:
        return labelled(self._session)

    def latest_created_at(self) -> datetime | None:
        return latest_created_at(self._session)

    def tickets_since(self, at: datetime | None) -> int:
        return tickets_since(self._session, at)
