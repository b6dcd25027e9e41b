"""Hot-spot alarms and the spots waiting to be looked at, in search's database."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from services.common.db import UnitOfWork, upsert
from services.search.adapters.orm import hotspot_alarms, hotspot_pending
from services.search.domain.alarms import Reading

_A, _P = hotspot_alarms.c, hotspot_pending.c
_OPEN = select(hotspot_alarms).where(_A.cleared_at.is_(None)).order_by(_A.raised_at.desc())
_CROSSINGS = select(func.count()).where(_A.spot_key == bindparam("b_key"))
_CLEAR = (
    update(hotspot_alarms)
    .where(_A.id == bindparam("b_id"), _A.cleared_at.is_(None))
    .values(cleared_at=bindparam("b_at"), count=bindparam("b_count"), score=bindparam("b_score"))
)
_ACKNOWLEDGE = (
    update(hotspot_alarms)
    .where(_A.id == bindparam("b_id"), _A.acknowledged_at.is_(None))
    .values(acknowledged_by=bindparam("b_by"), acknowledged_at=bindparam("b_at"))
)
_DONE = delete(hotspot_pending).where(
    _P.spot_key == bindparam("b_key"), _P.since == bindparam("b_since")
)


@cache
def _touch(dialect: str) -> Any:
    # A later touch moves `since` (waiting for a worker that holds the row), so the worker
    # forgets the spot only if nothing touched it after what it looked at.
    insert = upsert(dialect, hotspot_pending)
    later = {"since": insert.excluded.since}
    return insert.on_conflict_do_update(index_elements=[_P.spot_key], set_=later)


@cache
def _raise(dialect: str) -> Any:
    keys = [_A.spot_key, _A.crossing]
    return (
        upsert(dialect, hotspot_alarms).on_conflict_do_nothing(index_elements=keys).returning(_A.id)
    )


class SqlSpots:
    """Spots a folded ticket touched; the alarm worker takes them (rows locked, skipped by
    another instance) and forgets them once looked at."""

    def __init__(self, session: Session):
        self._session = session

    def touch(self, key: str, at: datetime) -> None:
        dialect = self._session.get_bind().dialect.name
        self._session.execute(_touch(dialect), {"spot_key": key[:80], "since": at})


class SqlAlarms:
    def __init__(self, session: Session):
        self._session = session

    def pending(self, limit: int) -> dict[str, datetime]:
        query = (
            select(_P.spot_key, _P.since)
            .order_by(_P.since)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return {r.spot_key: r.since for r in self._session.execute(query)}

    def done(self, seen: Mapping[str, datetime]) -> None:
        """Forgets the spots looked at (`pending`'s answer), unless touched again since."""
        if seen:
            rows = [{"b_key": key, "b_since": since} for key, since in seen.items()]
            self._session.execute(_DONE, rows)

    def open(self) -> list[dict[str, Any]]:
        return [dict(r._mapping) for r in self._session.execute(_OPEN)]

    def raise_(self, reading: Reading, at: datetime, new_id: Callable[[], str]) -> str | None:
        """The alarm of the spot's next crossing; None when it is there already (the unique
        key per crossing: another instance raised it first)."""
        crossing = self._session.execute(_CROSSINGS, {"b_key": reading.key}).scalar_one() + 1
        alarm_id = new_id()
        row: dict[str, Any] = {
            "id": alarm_id, "spot_key": reading.key, "crossing": crossing,
            "category_code": reading.category_code, "area_code": reading.area_code,
            "count": reading.count, "expected": reading.expected, "score": reading.score,
            "raised_at": at,
        }  # fmt: skip
        dialect = self._session.get_bind().dialect.name
        added = self._session.execute(_raise(dialect), row).scalar_one_or_none()
        return str(added) if added else None

    def clear(self, alarm_id: str, reading: Reading, at: datetime) -> bool:
        values = {"b_id": alarm_id, "b_at": at, "b_count": reading.count, "b_score": reading.score}
        return self._session.execute(_CLEAR, values).rowcount == 1  # type: ignore[attr-defined]

    def get(self, alarm_id: str) -> dict[str, Any] | None:
        row = self._session.execute(select(hotspot_alarms).where(_A.id == alarm_id)).first()
        return dict(row._mapping) if row else None

    def acknowledge(self, alarm_id: str, by: str, at: datetime) -> bool:
        params = {"b_id": alarm_id, "b_by": by, "b_at": at}
        return self._session.execute(_ACKNOWLEDGE, params).rowcount == 1  # type: ignore[attr-defined]


class AlarmsUnitOfWork(UnitOfWork):
    """Search's unit of work for its own changes, with the hot-spot alarms as a repository
    (the use cases never reach for the session)."""

    alarms: SqlAlarms

    def attach(self, session: Session) -> None:
        self.alarms = SqlAlarms(session)
