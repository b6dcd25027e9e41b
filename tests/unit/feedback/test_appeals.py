"""The appeal rules of docs/three-rates.md (Appeals): the window, one decision, reversals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.common.errors import Conflict
from services.feedback.domain import appeals

T0 = datetime(2026, 5, 10, 3, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def test_the_window_includes_its_last_moment_and_not_one_after() -> None:
    assert appeals.within_window(T0, T0 + WEEK, WEEK)
    assert not appeals.within_window(T0, T0 + WEEK + timedelta(microseconds=1), WEEK)


def test_only_a_pending_appeal_is_decided() -> None:
    assert appeals.decided("pending", "upheld") == "upheld"
    with pytest.raises(Conflict) as refused:
        appeals.decided("rejected", "upheld")
    assert refused.value.code == "feedback.appeal_already_decided"


def test_a_reversal_turns_the_decision_round_and_again() -> None:
    assert appeals.reversed_("upheld") == "rejected"
    assert appeals.reversed_(appeals.reversed_("upheld")) == "upheld"
    with pytest.raises(Conflict):
        appeals.reversed_("pending")


def test_photo_ids_are_intakes() -> None:
    assert appeals.is_photo_id("ph_abcdefgh1234")
    assert not any(map(appeals.is_photo_id, ["photo.jpg", "ph_short", "ph_abcdefgh\x00"]))
