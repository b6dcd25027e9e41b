"""Calendar months in Beijing time, as the dashboard and the monthly report name them
(`YYYY-MM`): which month a text names, and whether it has begun."""

from __future__ import annotations

import re
from datetime import date

from services.common.errors import Invalid

PATTERN = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
EARLIEST = date(1970, 1, 1)


def parse(text: str, today: date) -> date:
    """The first day of the month `text` names; Invalid when it is not `YYYY-MM`, lies
    before 1970 or has not begun on `today`."""
    match = PATTERN.fullmatch(text)
    if match is None:
        raise Invalid("search.bad_month", field="month", month=text)
    year, month = int(match.group(1)), int(match.group(2))
    # Year 0 is no date at all: refused as too early, like any year before the earliest.
    if year < EARLIEST.year:
        raise Invalid("search.month_too_early", field="month", earliest=name(EARLIEST))
    first = date(year, month, 1)
    if first < EARLIEST:
        raise Invalid("search.month_too_early", field="month", earliest=name(EARLIEST))
    if first > today.replace(day=1):
        raise Invalid("search.month_in_future", field="month", month=text, current=name(today))
    return first


def name(day: date) -> str:
    """`YYYY-MM` of the month holding `day`."""
    return f"{day.year:04d}-{day.month:02d}"


def following(first: date) -> date:
    """The first day of the month after the one starting on `first`."""
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)
