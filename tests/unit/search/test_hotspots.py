"""Hot spots rank category × area pairs by how unlikely this week's count is."""

from __future__ import annotations

import math

import pytest

from services.search.domain.hotspots import expected, poisson_tail, rank, surprise


def test_poisson_tail_matches_the_direct_sum() -> None:
    for mean in (0.5, 2.0, 7.5):
        for count in range(0, 15):
            direct = 1 - sum(math.exp(-mean) * mean**k / math.factorial(k) for k in range(count))
            assert poisson_tail(count, mean) == pytest.approx(direct, abs=1e-12)


def test_a_tiny_tail_keeps_its_digits() -> None:
    assert poisson_tail(40, 1.0) == pytest.approx(math.exp(-1) / math.factorial(40), rel=1e-3)
    assert surprise(40, 1.0) > 45


def test_a_jump_outranks_a_steady_large_count() -> None:
    baseline = [{"噪音@jx": 1, "停水@zg": 30}, {"噪音@jx": 0, "停水@zg": 28}, {"停水@zg": 31}]
    spots = rank({"噪音@jx": 9, "停水@zg": 33, "路灯@jx": 2}, baseline, min_count=3)
    first = spots[0]
    assert first.key == "噪音@jx"
    assert first.weekly == (1, 0, 0) and first.expected == pytest.approx(0.5)
    assert first.category_code == "噪音" and first.area_code == "jx"
    assert "路灯@jx" not in {s.key for s in spots}  # under the minimum count


def test_nothing_is_a_hot_spot_at_or_below_its_usual_level() -> None:
    baseline = [{"a@x": 5}, {"a@x": 6}, {"a@x": 7}]
    assert rank({"a@x": 4}, baseline) == []
    assert expected([5, 6, 7]) == pytest.approx(19 / 4)


def test_ties_are_broken_by_count_then_key_and_the_list_is_cut() -> None:
    spots = rank({"b@x": 5, "a@x": 5, "c@x": 6}, [{}, {}], min_count=1, limit=2)
    assert [s.key for s in spots] == ["c@x", "a@x"]
