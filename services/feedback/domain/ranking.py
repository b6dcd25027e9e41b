"""Orders departments by score for a month and compares with the month before."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from services.feedback.domain.rates import Rates, Tally, Weights, rates_of


@dataclass(frozen=True, slots=True)
class Standing:
    """One row of the ranking; `previous_*` are None when the department had no rating the
    month before."""

    rank: int
    tally: Tally
    rates: Rates
    previous_rank: int | None = None
    previous: Rates | None = None

    @property
    def rank_change(self) -> int | None:
        """Places moved up (positive) or down (negative) since the month before."""
        return None if self.previous_rank is None else self.previous_rank - self.rank

    def change(self, name: str) -> Fraction | None:
        """This month's exact rate minus the month before's, or None without one."""
        return None if self.previous is None else self.rates.get(name) - self.previous.get(name)


def order(tallies: Sequence[Tally], weights: Weights) -> list[Standing]:
    """By score, highest first; equal scores share a rank (1, 2, 2, 4), listed by more
    ratings first, then by department code, so the order never depends on input order."""
    rated = [(t, rates_of(t, weights)) for t in tallies]
    rated.sort(key=lambda pair: (-pair[1].score, -pair[0].rated, pair[0].department_code))
    standings: list[Standing] = []
    for position, (tally, rates) in enumerate(rated, start=1):
        tied = standings and standings[-1].rates.score == rates.score
        rank = standings[-1].rank if tied else position
        standings.append(Standing(rank, tally, rates))
    return standings


def ranking(
    current: Sequence[Tally], previous: Sequence[Tally], weights: Weights
) -> list[Standing]:
    """This month's order with each department's rank and rates of the month before."""
    before = {s.tally.department_code: s for s in order(previous, weights)}
    rows = []
    for standing in order(current, weights):
        last = before.get(standing.tally.department_code)
        if last is not None:
            standing = Standing(
                standing.rank, standing.tally, standing.rates, last.rank, last.rates
            )
        rows.append(standing)
    return rows


def combined(tallies: Sequence[Tally], code: str = "*") -> Tally | None:
    """All the departments' ratings as one tally (for city-wide rates); None if none."""
    if not tallies:
        return None
    return Tally(
        code,
        rated=sum(t.rated for t in tallies),
        responded=sum(t.responded for t in tallies),
        solved=sum(t.solved for t in tallies),
        satisfied=sum(t.satisfied for t in tallies),
        basically_satisfied=sum(t.basically_satisfied for t in tallies),
    )
