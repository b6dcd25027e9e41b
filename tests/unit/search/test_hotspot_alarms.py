"""When a hot spot's alarm is raised and cleared (pure), and that folding a ticket new to
a spot marks the spot for the alarm worker, once per ticket."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.dispatch.domain.notice import HOTSPOT, Notice
from services.search.domain.alarms import Reading, Thresholds, decide, read
from services.search.handlers import folding
from tests.support.memory_search import MemoryIndex, MemoryUnitOfWork
from tests.unit.search.test_projection import created, dispatched

LIMITS = Thresholds(raise_score=3.0, clear_score=1.3, min_count=3)
KEY = "010101@110105001"


def week(count: int, baseline: int = 0) -> Reading:
    return read(KEY, count, [baseline] * 8)


def test_a_new_spot_crosses_with_the_third_call_and_not_before() -> None:
    changes = [decide(False, week(n), LIMITS) for n in range(5)]
    assert changes == [None, None, None, "raise", "raise"]
    assert week(2).score >= 2 and week(3).score >= LIMITS.raise_score


def test_a_busy_spot_needs_far_more_than_its_usual_week() -> None:
    assert decide(False, week(12, baseline=5), LIMITS) is None
    assert decide(False, week(13, baseline=5), LIMITS) == "raise"  # as docs/smart-assist.md says
    assert week(4, baseline=5).score == 0.0  # quieter than usual: no surprise at all


def test_an_open_alarm_holds_between_the_thresholds_and_clears_below_the_lower() -> None:
    holding = week(2)  # below the raising score, above the clearing one
    assert LIMITS.clear_score <= holding.score < LIMITS.raise_score
    assert decide(True, holding, LIMITS) is None and decide(False, holding, LIMITS) is None
    assert decide(True, week(5), LIMITS) is None  # still hot: not raised again
    assert decide(True, week(1), LIMITS) == decide(True, week(0), LIMITS) == "clear"


def test_a_hovering_spot_raises_once_per_crossing() -> None:
    active, changes = False, []
    for count in [3, 2, 3, 2, 3, 0, 3]:
        change = decide(active, week(count), LIMITS)
        active = {"raise": True, "clear": False}.get(change or "", active)
        changes.append(change)
    assert changes == ["raise", None, None, None, None, "clear", "raise"]


def test_thresholds_refuse_a_clearing_score_above_the_raising_one() -> None:
    with pytest.raises(ValueError, match="clear below"):
        Thresholds(raise_score=2.0, clear_score=3.0)


def test_folding_marks_the_spot_of_a_new_ticket_once() -> None:
    uow, index = MemoryUnitOfWork(), MemoryIndex()
    first, event = created(0)
    second = first.model_copy(update={"ticket_id": "t2"})
    with uow as u:
        story = [(first, event), dispatched("a1", "D-JXS", 1), (first, event), (second, event)]
        for envelope, folded in story:
            folding.on_event(index, u, envelope, folded)
        u.commit()
    assert uow.spots.touched == [KEY, KEY]


def test_the_notice_of_an_alarm_names_the_spot_and_no_ticket() -> None:
    at = datetime.now(UTC)
    notice = Notice("n1", "a" * 32, KEY, "D-JXS", HOTSPOT, "raised", at, "sms", "138")
    text = notice.text()
    assert "热点预警" in text and "110105001" in text and "010101" in text and "工单" not in text
