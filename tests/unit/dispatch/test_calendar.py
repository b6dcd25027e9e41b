"""Working-day clocks: holidays off, make-up days on, the override year, and the fallback."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from services.dispatch.adapters.calendar_data import override_rules, package_rules, working_days
from services.dispatch.domain.calendar import BEIJING, Continuous, WorkingDays, YearRules


def bj(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BEIJING)  # type: ignore[misc]


@pytest.fixture(scope="module")
def calendar() -> WorkingDays:
    return working_days()


DAY = 24 * 3600


@pytest.mark.parametrize(
    ("start", "seconds", "due"),
    [
        (bj(2026, 3, 13, 15), DAY, bj(2026, 3, 16, 15)),  # Friday → Monday
        (bj(2026, 3, 14, 11), DAY, bj(2026, 3, 17, 0)),  # Saturday: counting starts Monday
        (bj(2026, 9, 30, 10), DAY, bj(2026, 10, 8, 10)),  # National Day week skipped
        (bj(2026, 10, 9, 12), DAY, bj(2026, 10, 10, 12)),  # 调休: Saturday 10 Oct works
        (bj(2026, 2, 13, 9), DAY, bj(2026, 2, 14, 9)),  # 调休 before Spring Festival
        (bj(2026, 12, 31, 12), DAY, bj(2027, 1, 4, 12)),  # into 2027: New Year off
        (bj(2026, 11, 30, 9), 7 * DAY, bj(2026, 12, 9, 9)),  # a week and two weekend days
    ],
)
def test_working_time_skips_days_off(
    calendar: WorkingDays, start: datetime, seconds: float, due: datetime
) -> None:
    assert calendar.add(start, seconds) == due
    assert calendar.between(start, due) == pytest.approx(seconds)


def test_the_2027_override_decides_that_year(calendar: WorkingDays) -> None:
    assert not calendar.is_working_day(date(2027, 10, 1))
    assert not calendar.is_working_day(date(2027, 2, 8))
    assert calendar.is_working_day(date(2027, 10, 9))  # a Saturday made a workday
    assert calendar.is_working_day(date(2027, 3, 3))


def test_an_unknown_year_falls_back_to_weekdays_and_says_so_once() -> None:
    told: list[int] = []
    calendar = WorkingDays([package_rules()], on_fallback=told.append)
    assert calendar.is_working_day(date(2031, 10, 1))  # a Wednesday, holiday unknown
    assert not calendar.is_working_day(date(2031, 10, 4))
    calendar.add(bj(2031, 5, 1, 9), 3 * DAY)
    assert told == [2031]


def test_the_fallback_never_crashes_a_clock_far_ahead(calendar: WorkingDays) -> None:
    due = calendar.add(bj(2029, 1, 1, 9), 15 * DAY)
    assert due > bj(2029, 1, 16)


def test_between_is_zero_when_the_end_is_not_later(calendar: WorkingDays) -> None:
    assert calendar.between(bj(2026, 3, 16, 10), bj(2026, 3, 16, 9)) == 0


def test_round_the_clock_counts_every_hour() -> None:
    clock = Continuous()
    start = bj(2026, 10, 1, 23)
    assert clock.add(start, 3600) == start + timedelta(hours=1)
    assert clock.between(start, start + timedelta(hours=5)) == 5 * 3600


def test_the_override_file_is_checked(tmp_path: Path) -> None:
    stray = tmp_path / "stray.toml"
    stray.write_text('[[years]]\nyear = 2028\nholidays = ["2027-01-01"]\nworkdays = []\n')
    with pytest.raises(ValueError, match="outside the listed years"):
        override_rules(stray)
    broken = tmp_path / "broken.toml"
    broken.write_text('[[years]]\nyear = 2028\nholidays = ["tomorrow"]\nworkdays = []\n')
    with pytest.raises(ValueError, match=str(broken)):
        override_rules(broken)


def test_the_package_covers_2026_and_stops_before_2027() -> None:
    rules = package_rules()
    assert 2026 in rules.years and 2027 not in rules.years


def test_year_rules_follow_the_week_for_days_not_listed() -> None:
    rules = YearRules(frozenset({2030}), frozenset({date(2030, 1, 1)}), frozenset())
    assert not rules.is_working(date(2030, 1, 1))
    assert rules.is_working(date(2030, 1, 2))
    assert not rules.is_working(date(2030, 1, 5))
