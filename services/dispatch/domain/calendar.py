"""Clock arithmetic in Beijing time. Pure.

Three ways to count time, each clock keeping the one it started with:

- `natural`: every hour (urgent tickets, utilities);
- `working`: working hours of working days only (default 09:00–18:00): a ticket dispatched on
  Friday at 17:00 with 2 working hours is due on Monday at 10:00, or on the next working day
  after a holiday; nights, weekends and holidays never count, make-up days (调休) do;
- `working_days`: every hour of a working day and none of a day off. Clocks started before
  working hours existed keep counting this way, so their deadlines do not move.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, Protocol, get_args
from zoneinfo import ZoneInfo

from services.common.errors import Invalid

BEIJING = ZoneInfo("Asia/Shanghai")
# No policy runs for years; a bound keeps a bad input from looping for ever.
MAX_DAYS = 3 * 366
# The statutory days off of a year (全国年节及纪念日放假办法, as amended for 2025): an import
# listing fewer is an excerpt, and would silence the warning that the calendar runs out.
MIN_HOLIDAYS = 13
Basis = Literal["natural", "working", "working_days"]
BASES: tuple[Basis, ...] = get_args(Basis)


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


def year_rules(year: int, holidays: list[date], workdays: list[date]) -> YearRules:
    """An imported year, checked: its own dates only, none both off and on, make-up days on
    a weekend (a weekday works anyway)."""
    days = holidays + workdays
    if any(d.year != year for d in days):
        raise Invalid("dispatch.calendar_other_year", field="holidays", year=year)
    if set(holidays) & set(workdays) or len(set(days)) != len(days):
        raise Invalid("dispatch.calendar_day_twice", field="workdays")
    if any(d.weekday() < 5 for d in workdays):
        raise Invalid("dispatch.calendar_weekday_workday", field="workdays")
    if len(holidays) < MIN_HOLIDAYS:
        raise Invalid("dispatch.calendar_too_few_holidays", field="holidays", least=MIN_HOLIDAYS)
    return YearRules(frozenset({year}), frozenset(holidays), frozenset(workdays))


class BusinessDays:
    """Which days are working days. Sources are asked in order; a year none covers falls
    back to Monday–Friday and is reported once through `on_fallback`, so a clock never
    fails."""

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

    def known_until(self, today: date) -> date:
        """The last day of the run of known years that starts with this one (the day before
        this year began when it is unknown itself)."""
        years = {y for source in self.sources for y in source.years}
        year = today.year
        while year in years:
            year += 1
        return date(year - 1, 12, 31)


class WorkingDays:
    """Whole working days: every hour of a working day counts (the rule before working
    hours; clocks started under it keep it)."""

    def __init__(self, days: BusinessDays):
        self.days = days

    def add(self, start: datetime, seconds: float) -> datetime:
        cursor, left = start.astimezone(BEIJING), max(0.0, seconds)
        for _ in range(MAX_DAYS):
            end = _next_midnight(cursor)
            if self.days.is_working_day(cursor.date()):
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
            if self.days.is_working_day(cursor.date()):
                total += (boundary - cursor).total_seconds()
            cursor = boundary
        return total


class WorkingHours:
    """Working hours (`opens`–`closes`, Beijing time) of working days only. A deadline that
    uses up a day's last minute falls at closing time that day, not at the next opening."""

    def __init__(self, days: BusinessDays, opens: time = time(9), closes: time = time(18)):
        if not opens < closes:
            raise ValueError("working hours must open before they close")
        self.days, self.opens, self.closes = days, opens, closes

    def _window(self, day: date) -> tuple[datetime, datetime] | None:
        if not self.days.is_working_day(day):
            return None
        return datetime.combine(day, self.opens, BEIJING), datetime.combine(
            day, self.closes, BEIJING
        )

    def add(self, start: datetime, seconds: float) -> datetime:
        if seconds <= 0:
            return start
        cursor, left = start.astimezone(BEIJING), seconds
        day = cursor.date()
        for _ in range(MAX_DAYS):
            window = self._window(day)
            if window is not None:
                begin = max(cursor, window[0])
                available = (window[1] - begin).total_seconds()
                if available > 0:
                    if left <= available:
                        return (begin + timedelta(seconds=left)).astimezone(UTC)
                    left -= available
            day += timedelta(days=1)
        raise ValueError(f"{seconds} s of working time do not fit in {MAX_DAYS} days")

    def between(self, start: datetime, end: datetime) -> float:
        first, stop = start.astimezone(BEIJING), end.astimezone(BEIJING)
        total, day = 0.0, first.date()
        while day <= stop.date():
            window = self._window(day)
            if window is not None:
                overlap = (min(stop, window[1]) - max(first, window[0])).total_seconds()
                total += max(0.0, overlap)
            day += timedelta(days=1)
        return total


class Calendars:
    """The calendar for each basis. The days behind them change when a year's holidays are
    imported (`use`); the calendars are then rebuilt and swapped in one assignment, so a
    clock being computed meanwhile sees the old days or the new, never half of each."""

    def __init__(self, days: BusinessDays, opens: time = time(9), closes: time = time(18)):
        self.opens, self.closes = opens, closes
        self._by_basis = self._build(days)

    def _build(self, days: BusinessDays) -> Mapping[Basis, Calendar]:
        return {
            "natural": Continuous(),
            "working": WorkingHours(days, self.opens, self.closes),
            "working_days": WorkingDays(days),
        }

    def use(self, days: BusinessDays) -> None:
        self._by_basis = self._build(days)

    @property
    def days(self) -> BusinessDays:
        working = self._by_basis["working_days"]
        assert isinstance(working, WorkingDays)
        return working.days

    def __call__(self, basis: Basis) -> Calendar:
        return self._by_basis[basis]


def _next_midnight(moment: datetime) -> datetime:
    # Beijing has no daylight saving time, so every day is 24 h long.
    return datetime.combine(moment.date() + timedelta(days=1), time(), BEIJING)
