"""The holiday calendar: a year's import (audited), and every instance picking up what any
of them imported."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from services.common.audit import record_change
from services.common.auth import Principal
from services.dispatch.adapters.calendar_data import (
    OVERRIDES,
    business_days,
    report_known_until,
)
from services.dispatch.domain.calendar import year_rules
from services.dispatch.handlers.context import DispatchContext

log = logging.getLogger(__name__)


@dataclass
class CalendarWatch:
    """Reloads the imported years when their version moves (checked every `every` seconds)
    and keeps the known-until gauge and warning current."""

    deps: DispatchContext
    path: Path = OVERRIDES
    every: float = 60.0
    status: dict[str, Any] = field(default_factory=dict)
    _version: int = -1
    _checked: float = 0.0

    def refresh(self, force: bool = False) -> int:
        with self.deps.uow() as u:
            version = u.calendar.version()
            imported = u.calendar.rules() if force or version != self._version else None
        if imported is not None:
            self.deps.calendars.use(business_days(imported, self.path))
            self._version = version
        status = report_known_until(self.deps.calendars.days, self.deps.now())
        if status["warning"] and status["days_left"] != self.status.get("days_left"):
            log.warning(
                "the holiday calendar is known until %s (%d days left): import the next "
                "year's holidays and make-up workdays once the State Council publishes them",
                status["known_until"],
                status["days_left"],
            )
        self.status = status
        self._checked = time.monotonic()
        return 1 if imported is not None else 0

    def step(self) -> int:
        """The worker's step: idle until it is time to look again."""
        if time.monotonic() - self._checked < self.every:
            return 0
        self.refresh()
        return 0


def import_year(
    deps: DispatchContext,
    watch: CalendarWatch | None,
    by: Principal | str,
    year: int,
    days: tuple[list[date], list[date]],
    note: str = "",
) -> dict[str, Any]:
    """Replaces the year's holidays and make-up workdays; imported years decide over the
    file and the package. Clocks already running keep their deadlines."""
    rules = year_rules(year, *days)
    who = by if isinstance(by, str) else by.username
    now = deps.now()
    with deps.uow() as u:
        before = u.calendar.year(year)
        u.calendar.put(rules, note, who, now)
        after = u.calendar.year(year)
        summary = f"{year}: {len(days[0])} holidays, {len(days[1])} make-up workdays"
        record_change(u, kind="calendar", key=str(year), action="import", by=who, at=now,
                      before=before, after=after, summary=summary)  # fmt: skip
        u.commit()
    if watch is not None:
        watch.refresh(force=True)
    log.info("holiday calendar %d imported by %s", year, who)
    return year_view(deps, year)


def year_view(deps: DispatchContext, year: int) -> dict[str, Any]:
    with deps.uow() as u:
        stored = u.calendar.year(year)
        changes = u.calendar.changes(year)
    return {"year": year, "imported": stored, "changes": changes}


# Where each source of BusinessDays comes from, counted from the last (see business_days).
SOURCES = ("package", "file", "imported")


def known_years(deps: DispatchContext, since: int) -> dict[str, Any]:
    """Each year from `since` that a source decides: its days off and make-up workdays and
    which source says so (the first that covers it), with the working hours."""
    days = deps.calendars.days
    named = list(zip(reversed(days.sources), SOURCES, strict=False))[::-1]
    years = sorted({y for source in days.sources for y in source.years if y >= since})
    found = []
    for year in years:
        source, name = next((s, n) for s, n in named if year in s.years)
        found.append({
            "year": year,
            "source": name,
            "holidays": sorted(d for d in source.holidays if d.year == year),
            "workdays": sorted(d for d in source.workdays if d.year == year),
        })  # fmt: skip
    hours = deps.calendars.opens, deps.calendars.closes
    return {"years": found, "opens": f"{hours[0]:%H:%M}", "closes": f"{hours[1]:%H:%M}"}
