"""The theme arithmetic: the chart's weeks and phases, weekly means, progress."""

from __future__ import annotations

from datetime import date

from proto.rates import Weights
from services.search.domain import themes
from services.search.domain.themes import ProblemClass, Task

WEIGHTS = Weights()


def test_weeks_run_from_mondays_before_the_start_week_and_since() -> None:
    # 2026-12-03 is a Thursday: its week starts on Monday 2026-11-30.
    listed = themes.weeks(date(2026, 12, 3), date(2026, 12, 9), before=2)
    assert listed == [
        (date(2026, 11, 16), "before"),
        (date(2026, 11, 23), "before"),
        (date(2026, 11, 30), "since"),
        (date(2026, 12, 7), "since"),
    ]


def test_weekly_means_count_the_week_under_way_by_its_days() -> None:
    listed = themes.weeks(date(2026, 11, 30), date(2026, 12, 3), before=2)
    volume = {"2026-11-16": 6, "2026-11-23": 2, "2026-11-30": 2}
    rated = {"2026-11-23": {"m_rated": 2, "m_responded": 2, "m_solved": 1, "m_satisfied": 1}}
    rows = themes.chart(listed, volume, rated, {}, WEIGHTS)
    assert [(r["tickets"], r["resolution_rate"]) for r in rows] == [(6, None), (2, 0.5), (2, None)]
    phases = themes.phases(rows, rated, {}, WEIGHTS, date(2026, 12, 3))
    # Before: 8 tickets in 2 weeks; since: 2 tickets in 4 days of 7.
    assert (phases["before"]["weekly"], phases["since"]["weekly"]) == (4.0, 3.5)
    assert phases["before"]["satisfaction_rate"] == 0.5 and phases["since"]["rated"] == 0
    assert themes.volume_change(4.0, 3.5) == -0.125
    assert themes.volume_change(0.0, 3.5) is None


def test_progress_counts_done_and_overdue_tasks() -> None:
    today = date(2026, 12, 3)
    tasks = [
        Task("a", "D-1", "x", date(2026, 12, 2)),
        Task("b", "D-1", "y", date(2026, 12, 2), done=True),
        Task("c", "D-2", "z", today),
    ]
    assert themes.progress(tasks, today) == {"tasks": 3, "done": 1, "overdue": 1}


def test_a_class_from_a_hot_spot_and_its_checks() -> None:
    spot = ProblemClass.of_hotspot("010102@110105001")
    assert spot.filters() == {"category_codes": ["010102"], "area_codes": ["110105001"]}
    assert spot.problems() == []
    assert ProblemClass("1x", ()).problems() == [
        ("category_code", "bad_code"),
        ("area_codes", "bad_code"),
    ]
