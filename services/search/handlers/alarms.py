"""Hot-spot alarms: the spots new tickets touched are scored again by a worker (every few
seconds, those spots and the open alarms only, never the whole index); a crossing is raised
once and published on `hotline.insights`, a spot that fell back is cleared; a leader or
dispatcher acknowledges an alarm (audited)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from proto.envelope import new_id
from proto.insights import HotSpotCleared, HotSpotRaised, subject
from services.common.audit import record_change
from services.common.auth import Principal
from services.common.clock import utcnow
from services.common.errors import NotFound
from services.search import metrics
from services.search.adapters.index import DateRange, SearchRequest
from services.search.domain import alarms
from services.search.domain.alarms import Reading, Thresholds
from services.search.handlers.context import SearchContext
from services.search.handlers.ports import Alarms, AlarmTransaction

WEEK = timedelta(days=7)
BASELINE_WEEKS = 8  # as the dashboard's hot spots
BATCH = 200  # spots looked at per step


def readings(
    reader: SearchContext, keys: Collection[str], now: datetime, weeks: int = BASELINE_WEEKS
) -> dict[str, Reading]:
    """The spots' last 7 days against the `weeks` before: one counting query per week for
    all of them."""
    counts = [_counts(reader, keys, now - WEEK * back) for back in range(weeks + 1)]
    return {
        key: alarms.read(key, counts[0].get(key, 0), [w.get(key, 0) for w in counts[:0:-1]])
        for key in keys
    }


def _counts(reader: SearchContext, keys: Collection[str], end: datetime) -> dict[str, int]:
    request = SearchRequest(
        filters={"hotspot_key": list(keys)},
        ranges={"created_at": DateRange(end - WEEK, end)},
        facets=["hotspot_key"],
        facet_size=len(keys),
        limit=0,
    )
    return {b.key: b.count for b in reader.run(request).facets["hotspot_key"]}


@dataclass
class AlarmWatch:
    """One step looks at the touched spots and the open alarms in one transaction."""

    reader: SearchContext
    uow: Callable[[], AlarmTransaction]
    limits: Thresholds
    now: Callable[[], datetime] = utcnow

    def step(self) -> int:
        """Returns how many alarms it raised or cleared (0: idle)."""
        now = self.now()
        with self.uow() as u:
            store = u.alarms
            touched = store.pending(BATCH)
            opened = {a["spot_key"]: a for a in store.open()}
            keys = set(touched) | set(opened)
            if not keys:
                return 0
            found = readings(self.reader, keys, now)
            raised = cleared = 0
            for key, reading in sorted(found.items()):
                change = alarms.decide(key in opened, reading, self.limits)
                if change == "raise":
                    raised += self._raise(u, store, reading, now)
                elif change == "clear":
                    cleared += self._clear(u, store, opened[key]["id"], reading, now)
            store.done(touched)
            active = len(store.open())
            u.commit()
        metrics.HOTSPOT_ALARMS_ACTIVE.set(active)
        metrics.HOTSPOT_ALARMS_TOTAL.inc(raised)
        return raised + cleared

    def _raise(self, u: AlarmTransaction, store: Alarms, reading: Reading, now: datetime) -> int:
        alarm_id = store.raise_(reading, now, new_id)
        if alarm_id is None:
            return 0
        category, area = reading.category_code, reading.area_code
        names = self.reader.names("category_code", [category])
        streets = self.reader.names("street_code", [area])
        event = HotSpotRaised(
            alarm_id=alarm_id, category_code=category, category_name=names.get(category),
            area_code=area, area_name=streets.get(area), count=reading.count,
            expected=reading.expected, score=reading.score, at=now,
        )  # fmt: skip
        u.publish(event, ticket_id=subject(category, area), occurred_at=now)
        return 1

    def _clear(
        self, u: AlarmTransaction, store: Alarms, alarm_id: str, reading: Reading, now: datetime
    ) -> int:
        if not store.clear(alarm_id, reading, now):
            return 0
        category, area = reading.category_code, reading.area_code
        event = HotSpotCleared(alarm_id=alarm_id, category_code=category, area_code=area,
                               count=reading.count, score=reading.score, at=now)  # fmt: skip
        u.publish(event, ticket_id=subject(category, area), occurred_at=now)
        return 1


def active(reader: SearchContext, uow: Callable[[], AlarmTransaction]) -> list[dict[str, Any]]:
    """The open alarms, newest first, with the names of their category and street."""
    with uow() as u:
        rows = u.alarms.open()
    categories = reader.names("category_code", [r["category_code"] for r in rows])
    streets = reader.names("street_code", [r["area_code"] for r in rows])
    return [
        _present(r, categories.get(r["category_code"]), streets.get(r["area_code"])) for r in rows
    ]


def _present(row: dict[str, Any], category: str | None, street: str | None) -> dict[str, Any]:
    keep = ("id", "spot_key", "category_code", "area_code", "count", "expected", "score",
            "raised_at", "acknowledged_by", "acknowledged_at")  # fmt: skip
    return {k: row[k] for k in keep} | {"category_name": category, "area_name": street}


def acknowledge(
    reader: SearchContext, uow: Callable[[], AlarmTransaction], user: Principal, alarm_id: str
) -> dict[str, Any]:
    """Marks the alarm seen by `user` (once: a second acknowledgement changes nothing),
    audited in the same transaction."""
    now = utcnow()
    with uow() as u:
        store = u.alarms
        before = store.get(alarm_id)
        if before is None:
            raise NotFound("search.unknown_hotspot_alarm", id=alarm_id)
        if store.acknowledge(alarm_id, user.username, now):
            record_change(u, kind="hotspot_alarm", key=alarm_id, action="acknowledge",
                          by=user.username, at=now, summary=f"{before['spot_key']}: 已确认",
                          before={"acknowledged_by": None},
                          after={"acknowledged_by": user.username})  # fmt: skip
        after = store.get(alarm_id) or before
        u.commit()
    categories = reader.names("category_code", [after["category_code"]])
    streets = reader.names("street_code", [after["area_code"]])
    return _present(after, categories.get(after["category_code"]), streets.get(after["area_code"]))
