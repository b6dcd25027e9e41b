"""The monthly ranking of departments by the three rates, computed from stored ratings
every time it is asked for (never kept), so it always agrees with them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.common.errors import Invalid
from services.feedback import metrics
from services.feedback.domain.months import Month
from services.feedback.domain.ranking import Standing, combined, order, ranking
from services.feedback.domain.rates import RATE_NAMES, Rates, Tally, Weights, rates_of
from services.feedback.handlers.context import FeedbackContext


@dataclass(frozen=True)
class MonthRanking:
    month: Month
    weights: Weights
    rows: list[Standing]
    names: dict[str, str]
    # Per department: (tickets, ratings) of the month that upheld appeals exclude.
    excluded: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def total(self) -> tuple[Tally, Rates] | None:
        """The city-wide tally and rates (every department's ratings together)."""
        tally = combined([row.tally for row in self.rows])
        return None if tally is None else (tally, rates_of(tally, self.weights))

    def name(self, code: str) -> str:
        return self.names.get(code, code)


def assessed_month(fb: FeedbackContext, text: str) -> Month:
    """A YYYY-MM month that has begun (Beijing time); a 422 problem otherwise."""
    try:
        month = Month.parse(text)
    except ValueError:
        raise Invalid("feedback.invalid_month", field="month") from None
    current = Month.of(fb.clock())
    if month > current:
        raise Invalid(
            "feedback.month_in_future", field="month", month=str(month), current=str(current)
        )
    return month


def month_ranking(fb: FeedbackContext, month: Month) -> MonthRanking:
    """Two GROUP BYs (the month and the one before) and the arithmetic of domain.rates,
    with what upheld appeals took out of the month shown beside it."""
    with fb.uow() as uow:
        current = uow.ratings.tally(str(month))
        previous = uow.ratings.tally(str(month.previous()))
        excluded = uow.appeals.excluded_in(str(month))
        codes = sorted({t.department_code for t in current} | set(excluded))
        names = uow.tracking.department_names(codes)
    rows = ranking(current, previous, fb.weights)
    return MonthRanking(month, fb.weights, rows, names, excluded)


def month_ratings(fb: FeedbackContext, month: Month) -> Iterator[Sequence[Any]]:
    """Streams the month's ratings (no comments, no names) for anyone to recompute."""
    with fb.uow() as uow:
        yield from uow.ratings.of_month(str(month))


def refresh_gauges(fb: FeedbackContext, shown: set[str]) -> int:
    """Sets this month's rates as gauges; departments shown before but absent from this
    month (a new month began) are removed. `shown` is the caller's memory of what was
    set. Returns 0, so the worker waits its interval."""
    with fb.uow() as uow:
        # The current month alone: gauges need no comparison, and this runs every interval.
        rows = order(uow.ratings.tally(str(Month.of(fb.clock()))), fb.weights)
        metrics.PENDING_INVITATIONS.set(uow.invitations.count_pending())
        metrics.declare(uow.tracking.department_codes())
    seen = set()
    for row in rows:
        code = row.tally.department_code
        seen.add(code)
        metrics.MONTH_RATED.labels(code).set(row.tally.rated)
        for name in RATE_NAMES:
            metrics.MONTH_RATE.labels(code, name).set(float(row.rates.get(name)))
    for code in shown - seen:
        metrics.MONTH_RATED.remove(code)
        for name in RATE_NAMES:
            metrics.MONTH_RATE.remove(code, name)
    shown.clear()
    shown.update(seen)
    return 0
