"""Hot-spot alarms dispatch heard of, for the desk's badge."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.common.db import upsert
from services.dispatch.adapters.orm import hotspot_alarms

_H = hotspot_alarms.c
_OPEN = select(hotspot_alarms).where(_H.cleared_at.is_(None)).order_by(_H.raised_at.desc())


@cache
def _add(dialect: str) -> Any:
    return upsert(dialect, hotspot_alarms).on_conflict_do_nothing(index_elements=[_H.alarm_id])


class SqlHotspotAlarms:
    def __init__(self, session: Session):
        self._session = session

    def add(self, row: dict[str, Any]) -> None:
        """Once per alarm: a redelivered event finds its row there."""
        self._session.execute(_add(self._session.get_bind().dialect.name), row)

    def clear(self, alarm_id: str, at: datetime) -> None:
        query = update(hotspot_alarms).where(_H.alarm_id == alarm_id, _H.cleared_at.is_(None))
        self._session.execute(query.values(cleared_at=at))

    def open(self) -> list[dict[str, Any]]:
        return [dict(r._mapping) for r in self._session.execute(_OPEN)]
