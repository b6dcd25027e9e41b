"""The three rates and the ranking, pinned by hand-computed examples (docs/three-rates.md)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from services.feedback.domain.ranking import combined, order, ranking
from services.feedback.domain.rates import Tally, Weights, percent, rates_of

DEFAULT = Weights()


def _pct(value: Fraction) -> str:
    return str(percent(value))


def test_the_documented_example() -> None:
    # 6 ratings: 5 contacted in time, 4 solved, 3 satisfied, 2 basically, 1 dissatisfied.
    rates = rates_of(Tally("A", 6, 5, 4, 3, 2), DEFAULT)
    assert rates.response == Fraction(5, 6)
    assert rates.resolution == Fraction(2, 3)
    assert rates.satisfaction == Fraction(23, 30)  # (3 + 2 × 4/5) / 6 = 4.6 / 6
    assert rates.score == Fraction(437, 600)  # 1/12 + 3/10 + 69/200 = 0.728333…
    assert [_pct(r) for r in (rates.response, rates.resolution, rates.satisfaction)] == [
        "83.33",
        "66.67",
        "76.67",
    ]
    assert _pct(rates.score) == "72.83"


def test_the_basically_satisfied_weight_is_configurable() -> None:
    tally = Tally("A", 4, 4, 4, 1, 2)  # 1 satisfied, 2 basically, 1 dissatisfied
    assert rates_of(tally, Weights(basically_satisfied=Fraction(1))).satisfaction == Fraction(3, 4)
    assert rates_of(tally, Weights(basically_satisfied=Fraction(0))).satisfaction == Fraction(1, 4)
    half = Weights.of(
        basically_satisfied="0.5", response="0.2", resolution="0.4", satisfaction="0.4"
    )
    rates = rates_of(tally, half)
    assert rates.satisfaction == Fraction(1, 2)  # (1 + 2 × 0.5) / 4
    assert rates.score == Fraction(1, 5) + Fraction(2, 5) + Fraction(2, 5) * Fraction(1, 2)


def test_weights_are_read_exactly_and_must_add_up_to_one() -> None:
    assert Weights.of(
        basically_satisfied=Decimal("0.8"),
        response=Decimal("0.1"),
        resolution=Decimal("0.45"),
        satisfaction=Decimal("0.45"),
    ) == Weights(Fraction(4, 5), Fraction(1, 10), Fraction(9, 20), Fraction(9, 20))
    with pytest.raises(ValueError, match="add up to 1"):
        Weights.of(
            basically_satisfied="0.8", response="0.2", resolution="0.45", satisfaction="0.45"
        )
    with pytest.raises(ValueError, match="between 0 and 1"):
        Weights.of(
            basically_satisfied="1.2", response="0.1", resolution="0.45", satisfaction="0.45"
        )


@pytest.mark.parametrize(
    "counts",
    [(0, 0, 0, 0, 0), (2, 3, 0, 0, 0), (2, 0, 0, 2, 1), (2, -1, 0, 0, 0)],
)
def test_impossible_tallies_are_refused(counts: tuple[int, int, int, int, int]) -> None:
    with pytest.raises(ValueError):
        Tally("A", *counts)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Fraction(1, 6), "16.67"),
        (Fraction(1, 8), "12.50"),
        (Fraction(-1, 8), "-12.50"),
        (Fraction(1, 800), "0.13"),  # 0.125 %: half rounds away from zero
        (Fraction(-1, 800), "-0.13"),
        (Fraction(2, 3), "66.67"),
        (Fraction(1), "100.00"),
        (Fraction(0), "0.00"),
    ],
)
def test_percent_rounds_half_away_from_zero(value: Fraction, shown: str) -> None:
    assert _pct(value) == shown


def test_order_by_score_with_shared_ranks_and_stable_ties() -> None:
    tallies = [
        Tally("D-TIE-SMALL", 2, 2, 2, 2, 0),  # 100.00
        Tally("D-LOW", 4, 0, 0, 0, 0),  # 0.00
        Tally("D-TIE-BIG", 5, 5, 5, 5, 0),  # 100.00, more ratings: listed first
        Tally("D-MID", 2, 1, 1, 1, 0),  # 50.00
    ]
    rows = order(tallies, DEFAULT)
    assert [(r.rank, r.tally.department_code) for r in rows] == [
        (1, "D-TIE-BIG"),
        (1, "D-TIE-SMALL"),
        (3, "D-MID"),
        (4, "D-LOW"),
    ]
    assert order(list(reversed(tallies)), DEFAULT) == rows


def test_month_over_month_changes_and_rank_moves() -> None:
    april = [Tally("C", 1, 1, 1, 1, 0), Tally("A", 1, 1, 0, 0, 0)]
    may = [Tally("A", 5, 3, 4, 3, 1), Tally("B", 2, 2, 1, 1, 1), Tally("C", 1, 0, 0, 0, 0)]
    rows = {r.tally.department_code: r for r in ranking(may, april, DEFAULT)}
    a, b, c = rows["A"], rows["B"], rows["C"]
    # A in May: 3/5 = 60 %, 4/5 = 80 %, (3 + 0.8)/5 = 76 %, score 6 + 36 + 34.2 = 76.2.
    assert (a.rank, a.previous_rank, a.rank_change) == (1, 2, 1)
    assert _pct(a.rates.score) == "76.20"
    # April: A had 100 % response, 0 % resolution and satisfaction: score 10.
    assert [_pct(a.change(n) or Fraction(0)) for n in ("response", "resolution")] == [
        "-40.00",
        "80.00",
    ]
    assert _pct(a.change("satisfaction") or Fraction(0)) == "76.00"
    assert _pct(a.change("score") or Fraction(0)) == "66.20"
    # B: 100 %, 50 %, (1 + 0.8)/2 = 90 %, score 10 + 22.5 + 40.5 = 73; new this month.
    assert (b.rank, b.rank_change, b.change("score")) == (2, None, None)
    assert _pct(b.rates.score) == "73.00"
    assert (c.rank, c.previous_rank, c.rank_change) == (3, 1, -2)
    assert c.change("score") == -1


def test_a_reopened_ticket_counts_once_per_rated_round() -> None:
    # Round 1 refused (not solved, dissatisfied, contacted late), round 2 accepted:
    # two ratings for the same lead department, each with its own answers.
    reopened = Tally("A", rated=2, responded=1, solved=1, satisfied=1, basically_satisfied=0)
    rates = rates_of(reopened, DEFAULT)
    assert (rates.response, rates.resolution, rates.satisfaction) == (
        Fraction(1, 2),
        Fraction(1, 2),
        Fraction(1, 2),
    )
    assert _pct(rates.score) == "50.00"


def test_city_wide_totals_weigh_departments_by_their_ratings() -> None:
    total = combined(
        [Tally("A", 5, 3, 4, 3, 1), Tally("B", 2, 2, 1, 1, 1), Tally("C", 1, 0, 0, 0, 0)]
    )
    assert total == Tally("*", 8, 5, 5, 4, 2)
    assert total is not None
    rates = rates_of(total, DEFAULT)
    # 5/8, 5/8, (4 + 1.6)/8 = 70 %; score 6.25 + 28.125 + 31.5 = 65.875 → 65.88.
    assert [_pct(rates.get(n)) for n in ("response", "resolution", "satisfaction", "score")] == [
        "62.50",
        "62.50",
        "70.00",
        "65.88",
    ]
    assert combined([]) is None


def test_search_and_feedback_weigh_the_same_answers_with_the_same_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from services.common.rate_weights import RateWeightSettings
    from services.feedback.config import FeedbackSettings
    from services.search.domain.rates import three_rates

    # One declaration: feedback's settings are the weights' settings, not a copy of them.
    assert issubclass(FeedbackSettings, RateWeightSettings)
    assert not set(RateWeightSettings.model_fields) & set(FeedbackSettings.__annotations__)
    configured = {"BASICALLY_SATISFIED": "0.5", "RESPONSE": "0.2", "RESOLUTION": "0.4",
                  "SATISFACTION": "0.4"}  # fmt: skip
    for name, value in configured.items():
        monkeypatch.setenv(f"HOTLINE_FEEDBACK_{name}_WEIGHT", value)
    weights = RateWeightSettings().weights()
    assert weights == FeedbackSettings().weights()
    assert (weights.response, weights.resolution) == (Fraction(1, 5), Fraction(2, 5))
    sums = {"m_rated": 4, "m_responded": 3, "m_solved": 2, "m_satisfied": 1,
            "m_basically_satisfied": 2}  # fmt: skip
    # (1 satisfied + 2 basically satisfied × 0.5) / 4 rated
    expected = {"response_rate": 0.75, "resolution_rate": 0.5, "satisfaction_rate": 0.5}
    assert three_rates(sums, weights) == expected
