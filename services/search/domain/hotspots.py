"""Hot spots (热点): where a kind of problem suddenly comes up more often than it used to.

A spot is a category in an area (a street). Its count in the latest week is compared with
what the previous weeks lead one to expect. Counts of independent calls are Poisson: the
expected weekly count is the baseline mean, smoothed by one pseudo-week of one ticket so a
spot never seen before is not expected at zero, and the surprise is how unlikely at least
this week's count would be by chance — `score = -log10 P(X >= count)`. Spots rank by
score; a minimum count keeps noise (one or two calls) off the list.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MAX_SCORE = 99.0  # beyond this the tail probability underflows; all such spots are extreme


@dataclass(frozen=True)
class Spot:
    key: str
    count: int
    weekly: tuple[int, ...]  # baseline weeks, oldest first
    expected: float
    ratio: float
    score: float

    @property
    def category_code(self) -> str:
        return self.key.partition("@")[0]

    @property
    def area_code(self) -> str:
        return self.key.partition("@")[2]


def poisson_tail(count: int, mean: float) -> float:
    """P(X >= count) for X ~ Poisson(mean), summed in log space to stay exact for big counts."""
    if count <= 0:
        return 1.0
    below = 0.0
    term = math.exp(-mean)  # P(X = 0)
    for k in range(count):
        below += term
        term *= mean / (k + 1)
    return max(0.0, 1.0 - below) if below < 0.999 else _upper_sum(count, mean)


def _upper_sum(count: int, mean: float) -> float:
    # 1 - below loses every digit when the tail is tiny: add the tail terms themselves.
    log_term = -mean + count * math.log(mean) - math.lgamma(count + 1)
    total, k = 0.0, count
    while True:
        term = math.exp(log_term)
        total += term
        if term < total * 1e-12 or k > count + 10_000:
            return total
        k += 1
        log_term += math.log(mean) - math.log(k)


def expected(weekly: Sequence[int]) -> float:
    """The weekly count the baseline leads one to expect (never zero)."""
    return (sum(weekly) + 1) / (len(weekly) + 1)


def surprise(count: int, mean: float) -> float:
    tail = poisson_tail(count, mean)
    return MAX_SCORE if tail <= 0 else min(MAX_SCORE, -math.log10(tail))


def rank(
    current: Mapping[str, int],
    baseline: Sequence[Mapping[str, int]],
    min_count: int = 3,
    limit: int = 20,
) -> list[Spot]:
    """The spots of `current` (counts per key this week) that jumped above `baseline`
    (counts per key in each previous week, oldest first), most surprising first."""
    spots = []
    for key, count in current.items():
        weekly = tuple(int(week.get(key, 0)) for week in baseline)
        mean = expected(weekly)
        if count < min_count or count <= mean:
            continue
        spots.append(Spot(key, count, weekly, round(mean, 3), round(count / mean, 2),
                          round(surprise(count, mean), 2)))  # fmt: skip
    spots.sort(key=lambda s: (-s.score, -s.count, s.key))
    return spots[:limit]
