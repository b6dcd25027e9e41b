"""Clock arithmetic: round the clock, or on working days only (Beijing time). Pure.

A working-day clock counts every hour of a working day and none of a day off, so "24 h"
is one working day and "7 days" is seven: a ticket dispatched on Friday at 15:00 with one
working day is due on Monday at 15:00, or on the next working day after a holiday.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")
# No policy runs for years; a bound keeps a bad input from looping for ever.
MAX_DAYS = 3 * 366


class Calendar(Protocol):
    def add(self, start: datetime, seconds: float) -> datetime:
        """The instant `seconds` of counted time after `start`."""
        ...

    def between(self, start: datetime, end: datetime) -> float:
        """Counted seconds from `start` to `end`; 0 when `end` is not after `start`."""
        ...


class Continuous:
    """Round-the-clock time (urgent tickets, utilities)."""

    def add(self, start: datetime, seconds: float) -> datetime:
        return start + timedelta(seconds=seconds)

    def between(self, start: datetime, end: datetime) -> float:
        return max(0.0, (end - start).total_seconds())


@dataclass(frozen=True)
class YearRules:
    """What one source knows: days off and make-up workdays (调休) for the years it covers.
    A covered day in neither set follows the week: Monday to Friday work."""

    years: frozenset[int]
    holidays: frozenset[date]
    workdays: frozenset[date]

    def decides(self, day: date) -> bool:
        return day.year in self.years

    def is_working(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays


class WorkingDays:
    """Counts only working days. Sources are asked in order; a year none covers falls back
    to Monday–Friday and is reported once through `on_fallback`, so a clock never fails."""

    def __init__(self, sources: Iterable[YearRules], on_fallback: Callable[[int], None]):
        self.sources = tuple(sources)
        self.on_fallback = on_fallback
        self._reported: set[int] = set()
        self._cache: dict[date, bool] = {}

    def is_working_day(self, day: date) -> bool:
        known = self._cache.get(day)
        if known is None:
            known = self._cache[day] = self._decide(day)
        return known

    def _decide(self, day: date) -> bool:
        for source in self.sources:
            if source.decides(day):
                return source.is_working(day)
        if day.year not in self._reported:
            self._reported.add(day.year)
            self.on_fallback(day.year)
        return day.weekday() < 5

    def add(self, start: datetime, seconds: float) -> datetime:
        cursor, left = start.astimezone(BEIJING), max(0.0, seconds)
        for _ in range(MAX_DAYS):
            end = _next_midnight(cursor)
            if self.is_working_day(cursor.date()):
                available = (end - cursor).total_seconds()
                if left <= available:
                    return (cursor + timedelta(seconds=left)).astimezone(UTC)
                left -= available
            cursor = end
        raise ValueError(f"{seconds} s of working time do not fit in {MAX_DAYS} days")

    def between(self, start: datetime, end: datetime) -> float:
        cursor, stop, total = start.astimezone(BEIJING), end.astimezone(BEIJING), 0.0
        while cursor < stop:
            boundary = min(_next_midnight(cursor), stop)
            if self.is_working_day(cursor.date()):
                total += (boundary - cursor).total_seconds()
            cursor = boundary
        return total


def _next_midnight(moment: datetime) -> datetime:
    # Beijing has no daylight saving time, so every day is 24 h long.
    return datetime.combine(moment.date() + timedelta(days=1), time(), BEIJING)
