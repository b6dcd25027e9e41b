"""The month in public (docs/public-results.md): which of the leaders' figures are published,
when a month is closed, and how small counts are suppressed. Pure: no I/O, no clock.

What is published is chosen from the dashboard's own figures (`handlers/monthly.figures`):
counts and rates of public bodies only, never a ticket, a text or a person. The selection is
frozen when the month is published; suppression is applied each time it is shown, so a
changed threshold applies to every month alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from services.search.domain import months as calendar

RATES = ("response_rate", "resolution_rate", "satisfaction_rate", "score")
VOLUMES = ("channels", "categories", "districts")
RANKINGS = ("departments", "streets")


@dataclass(frozen=True, slots=True)
class Rules:
    """`min_count`: no count below it is shown, nor a rate over fewer ratings.
    `close_days`: days after a month's end (Beijing time) before it is published."""

    min_count: int = 10
    close_days: int = 15

    def closes_at(self, month: date, zone: Any) -> datetime:
        """When the month starting on `month` is published: midnight after its last day in
        `zone`, plus `close_days`."""
        first = calendar.following(month)
        return datetime(first.year, first.month, 1, tzinfo=zone) + timedelta(self.close_days)

    def latest_closed(self, now: datetime, zone: Any) -> date:
        """The latest month closed at `now`."""
        month = (now.astimezone(zone) - timedelta(self.close_days)).date().replace(day=1)
        return (month - timedelta(days=1)).replace(day=1)


def select(board: Mapping[str, Any]) -> dict[str, Any]:
    """The public part of a month's figures (`monthly.figures`), before suppression: what
    is frozen. Hot spots, overdue tickets and anything else naming a ticket stay out."""
    volume = board["volume"]
    return {
        "received": int(board["totals"]["created_this_month"]),
        "channels": [_count(row) for row in volume["channels"]],
        "categories": [_count(row) for row in volume["categories"]],
        "districts": [_count(row) for row in volume["districts"]],
        "city": _rated(board["city"]),
        "departments": [_rated(row) for row in board["departments"]],
        "streets": [_rated(row) for row in board["streets"]],
        "themes": [_theme(theme) for theme in board["themes"]],
    }


def is_empty(selected: Mapping[str, Any]) -> bool:
    """Nothing received and nothing rated: a month with no figures to publish."""
    return not selected["received"] and not selected["city"]["rated"]


def _count(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"key": row["key"], "label": row.get("label"), "count": int(row["count"])}


def _rated(row: Mapping[str, Any]) -> dict[str, Any]:
    chosen = {"rated": int(row["m_rated"]), **{name: row.get(name) for name in RATES}}
    if "key" in row:
        chosen = {"rank": row["rank"], "key": row["key"], "label": row.get("label")} | chosen
    return chosen


def _theme(theme: Mapping[str, Any]) -> dict[str, Any]:
    progress = theme["progress"]
    return {
        "title": theme["title"],
        "starts_on": theme["starts_on"],
        "status": theme["status"],
        "category_name": theme.get("category_name"),
        "tasks": int(progress["tasks"]),
        "done": int(progress["done"]),
        "overdue": int(progress["overdue"]),
    }


def small(count: int, min_count: int) -> bool:
    """A count that could point at a person: at least one, fewer than `min_count`. Zero is
    shown: that nobody called identifies nobody."""
    return 0 < count < min_count


def hidden(counts: Sequence[int], min_count: int) -> set[int]:
    """The cells of one table (whose counts add up to a published total) to suppress: the
    small ones; and, when that leaves one alone or together fewer than `min_count`, the
    smallest shown cell with them, so that the total minus the shown cells recovers neither
    a small cell nor a small sum."""
    chosen = {i for i, n in enumerate(counts) if small(n, min_count)}
    if chosen and (len(chosen) == 1 or sum(counts[i] for i in chosen) < min_count):
        shown = sorted((n, i) for i, n in enumerate(counts) if n > 0 and i not in chosen)
        chosen |= {shown[0][1]} if shown else set()
    return chosen


def suppress(selected: Mapping[str, Any], min_count: int) -> dict[str, Any]:
    """The frozen figures as published: each suppressed cell's number is null and its
    `suppressed` flag true (see `hidden`); a ranked row's rates, score and rank go with its
    count of ratings, the shown rows are ranked among themselves (`_reranked`), and
    suppressed rows follow the ranked ones, by code."""
    received = int(selected["received"])
    out: dict[str, Any] = {
        "received": {"count": None if small(received, min_count) else received}
        | {"suppressed": small(received, min_count)},
        "city": _rated_row(selected["city"], small(selected["city"]["rated"], min_count)),
        "themes": list(selected["themes"]),
    }
    for table in VOLUMES:
        rows = selected[table]
        gone = hidden([row["count"] for row in rows], min_count)
        out[table] = [_count_row(row, i in gone) for i, row in enumerate(rows)]
    for table in RANKINGS:
        rows = selected[table]
        gone = hidden([row["rated"] for row in rows], min_count)
        shown = _reranked([_rated_row(row, False) for i, row in enumerate(rows) if i not in gone])
        held = sorted((row for i, row in enumerate(rows) if i in gone), key=lambda r: r["key"])
        out[table] = shown + [_rated_row(row, True) for row in held]
    return out


def _reranked(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The shown rows (in the dashboard's order) ranked among themselves, ties kept (1, 2, 2,
    4): the dashboard's ranks would leave a gap where a suppressed row stood, and place it,
    with its score, between its neighbours. Unrated rows keep no rank."""
    out: list[dict[str, Any]] = []
    for position, row in enumerate(rows, 1):
        tied = out and row["rank"] is not None and row["rank"] == rows[position - 2]["rank"]
        rank = None if row["rank"] is None else out[-1]["rank"] if tied else position
        out.append(dict(row) | {"rank": rank})
    return out


def _count_row(row: Mapping[str, Any], gone: bool) -> dict[str, Any]:
    return dict(row) | {"count": None if gone else row["count"], "suppressed": gone}


def _rated_row(row: Mapping[str, Any], gone: bool) -> dict[str, Any]:
    if not gone:
        return dict(row) | {"suppressed": False}
    blanked = dict.fromkeys(("rated", *RATES), None)
    if "rank" in row:
        blanked["rank"] = None
    return dict(row) | blanked | {"suppressed": True}
