"""Clocks in working time: nights, weekends and holidays off, make-up days (调休) on, imported
years first, the fallback, and add/between agreeing with each other."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from services.common.errors import Invalid
from services.dispatch.adapters.calendar_data import (
    business_days,
    calendars,
    override_rules,
    package_rules,
)
from services.dispatch.domain.calendar import (
    BEIJING,
    BusinessDays,
    Continuous,
    WorkingDays,
    WorkingHours,
    YearRules,
    year_rules,
)

H = 3600.0
DAY = 24 * H


def bj(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BEIJING)  # type: ignore[misc]


@pytest.fixture(scope="module")
def hours() -> WorkingHours:
    return WorkingHours(business_days())


def test_a_12_working_hour_limit_from_friday_17_before_a_holiday_falls_due_at_the_right_hour(
    hours: WorkingHours,
) -> None:
    # Spring Festival 2026 (State Council notice): 15–23 February off, Saturday 14 February a
    # make-up workday. Friday 13th 17:00–18:00 is 1 h, Saturday 14th 09:00–18:00 is 9 h,
    # the festival counts nothing, Tuesday 24th 09:00–11:00 is the last 2 h.
    due = hours.add(bj(2026, 2, 13, 17), 12 * H)
    assert due == bj(2026, 2, 24, 11)
    assert hours.between(bj(2026, 2, 13, 17), due) == 12 * H


@pytest.mark.parametrize(
    ("start", "seconds", "due"),
    [
        (bj(2026, 3, 12, 15, 20), 12 * H, bj(2026, 3, 16, 9, 20)),  # Thursday evening → Monday
        (bj(2026, 3, 16, 9), 9 * H, bj(2026, 3, 16, 18)),  # the day's last minute: 18:00
        (bj(2026, 3, 16, 20), 1 * H, bj(2026, 3, 17, 10)),  # dispatched at night
        (bj(2026, 3, 14, 11), 2 * H, bj(2026, 3, 16, 11)),  # Saturday: Monday 09:00 counts
        (bj(2026, 9, 30, 17), 2 * H, bj(2026, 10, 8, 10)),  # National Day week skipped
        (bj(2026, 10, 9, 17), 2 * H, bj(2026, 10, 10, 10)),  # 调休: Saturday 10 Oct works
    ],
)
def test_working_time_skips_nights_and_days_off(
    hours: WorkingHours, start: datetime, seconds: float, due: datetime
) -> None:
    assert hours.add(start, seconds) == due
    assert hours.between(start, due) == seconds


def test_add_and_between_agree_on_random_instants(hours: WorkingHours) -> None:
    rng = random.Random(12345)
    base = bj(2026, 1, 1)
    for _ in range(300):
        start = base + timedelta(minutes=rng.randrange(365 * 1440))
        seconds = rng.randrange(1, 200 * 60) * 60.0
        due = hours.add(start, seconds)
        assert hours.between(start, due) == seconds
        # Nothing counts after the deadline until it is reached: the earliest such instant.
        assert hours.add(start, seconds - 60) < due
        end = start + timedelta(minutes=rng.randrange(30 * 1440))
        counted = hours.between(start, end)
        assert hours.add(start, counted) <= end or counted == 0
        assert hours.between(start, hours.add(start, counted)) == counted


def test_working_hours_follow_the_settings() -> None:
    early = WorkingHours(business_days(), time(8, 30), time(17, 30))
    assert early.add(bj(2026, 3, 16, 17), 1 * H) == bj(2026, 3, 17, 9)
    with pytest.raises(ValueError):
        WorkingHours(business_days(), time(18), time(9))


def test_whole_working_days_still_count_for_clocks_started_before() -> None:
    days = WorkingDays(business_days())
    assert days.add(bj(2026, 3, 13, 15), DAY) == bj(2026, 3, 16, 15)
    assert days.between(bj(2026, 9, 30, 10), bj(2026, 10, 8, 10)) == DAY


def test_each_basis_has_its_calendar() -> None:
    book = calendars()
    start = bj(2026, 3, 13, 17)
    assert book("natural").add(start, 2 * H) == start + timedelta(hours=2)
    assert book("working").add(start, 2 * H) == bj(2026, 3, 16, 10)
    assert book("working_days").add(start, 2 * H) == bj(2026, 3, 13, 19)


def test_an_imported_year_decides_before_the_package_and_moves_the_known_end() -> None:
    # Test data, not a notice: 13 days off in January, one in March, a Saturday worked.
    off = [date(2027, 1, d) for d in range(1, 14)] + [date(2027, 3, 3)]
    imported = year_rules(2027, off, [date(2027, 1, 16)])
    days = business_days(imported)
    assert not days.is_working_day(date(2027, 3, 3))  # a Wednesday the import made a holiday
    assert days.is_working_day(date(2027, 1, 16))  # a Saturday made a workday
    assert days.known_until(date(2026, 12, 3)) == date(2027, 12, 31)
    assert business_days().known_until(date(2026, 12, 3)) == date(2026, 12, 31)


JANUARY = [date(2027, 1, d) for d in range(1, 14)]


@pytest.mark.parametrize(
    ("holidays", "workdays", "code"),
    [
        ([*JANUARY, date(2028, 1, 1)], [], "dispatch.calendar_other_year"),
        (JANUARY, [date(2027, 1, 2)], "dispatch.calendar_day_twice"),
        (JANUARY, [date(2027, 1, 18)], "dispatch.calendar_weekday_workday"),
        (JANUARY[:12], [], "dispatch.calendar_too_few_holidays"),
    ],
)
def test_an_import_is_checked(holidays: list[date], workdays: list[date], code: str) -> None:
    with pytest.raises(Invalid) as refused:
        year_rules(2027, holidays, workdays)
    assert refused.value.code == code


def test_an_unknown_year_falls_back_to_weekdays_and_says_so_once() -> None:
    told: list[int] = []
    days = BusinessDays([package_rules()], on_fallback=told.append)
    assert days.is_working_day(date(2031, 10, 1))  # a Wednesday, holiday unknown
    assert not days.is_working_day(date(2031, 10, 4))
    WorkingHours(days).add(bj(2031, 5, 1, 9), 30 * H)
    assert told == [2031]


def test_round_the_clock_counts_every_hour() -> None:
    clock = Continuous()
    start = bj(2026, 10, 1, 23)
    assert clock.add(start, 3600) == start + timedelta(hours=1)
    assert clock.between(start, start + timedelta(hours=5)) == 5 * 3600


def test_the_override_file_is_checked_and_ships_no_guessed_year(tmp_path: Path) -> None:
    assert override_rules().years == frozenset()
    stray = tmp_path / "stray.toml"
    stray.write_text('[[years]]\nyear = 2028\nholidays = ["2027-01-01"]\nworkdays = []\n')
    with pytest.raises(ValueError, match="outside the listed years"):
        override_rules(stray)


def test_year_rules_follow_the_week_for_days_not_listed() -> None:
    rules = YearRules(frozenset({2030}), frozenset({date(2030, 1, 1)}), frozenset())
    assert not rules.is_working(date(2030, 1, 1))
    assert rules.is_working(date(2030, 1, 2))
    assert not rules.is_working(date(2030, 1, 5))
