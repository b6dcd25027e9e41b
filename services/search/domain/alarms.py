"""Hot-spot alarms: when a spot crosses its threshold, and when it falls back. Pure.

A spot is scored as the dashboard scores it (domain/hotspots.py). The alarm is raised when
the score reaches `raise_score` with at least `min_count` tickets, and cleared only when the
score drops below the lower `clear_score`: between the two the alarm keeps its state, so a
spot hovering at the threshold raises once, not at every ticket."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from services.search.domain import hotspots

Change = Literal["raise", "clear"]


@dataclass(frozen=True)
class Thresholds:
    raise_score: float = 3.0
    clear_score: float = 1.3
    min_count: int = 3

    def __post_init__(self) -> None:
        if self.clear_score > self.raise_score:
            raise ValueError("an alarm must clear below the score that raises it")


@dataclass(frozen=True)
class Reading:
    """A spot's last 7 days against the weeks before."""

    key: str
    count: int
    expected: float
    score: float

    @property
    def category_code(self) -> str:
        return self.key.partition("@")[0]

    @property
    def area_code(self) -> str:
        return self.key.partition("@")[2]


def read(key: str, count: int, weekly: Sequence[int]) -> Reading:
    mean = hotspots.expected(weekly)
    score = hotspots.surprise(count, mean) if count > mean else 0.0
    return Reading(key, count, round(mean, 3), round(score, 2))


def decide(active: bool, reading: Reading, limits: Thresholds) -> Change | None:
    """What the reading does to the spot's alarm: raise it, clear it, or nothing."""
    if not active:
        crossed = reading.count >= limits.min_count and reading.score >= limits.raise_score
        return "raise" if crossed else None
    return "clear" if reading.score < limits.clear_score else None
