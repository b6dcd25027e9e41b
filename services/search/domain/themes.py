"""Monthly themes (每月一题): leaders take on a problem class — a category (a code at any
level) in one or more areas — with a lead department, co-departments, tasks with owners and
due dates, and progress notes; a before/after chart shows whether the class's volume and
rates moved.

Why search owns themes: a theme is the leaders' configuration for reading the figures search
already computes — it is picked from search's hot spots, shown on search's dashboard, and
its chart is the dashboard's own counting (the same index queries and `domain.rates`) over
the theme's class. Dispatch owns departments and feedback the official monthly rates, but
neither has the per-week volume of a category × area class; a theme changes nothing either
of them does, so it needs no event.

The chart's weeks run from Monday (Beijing time). *Before* is the `BEFORE_WEEKS` whole weeks
ending at the Monday of the start day's week; *since* is from that Monday until now. The
volume change compares weekly means: before = tickets ÷ weeks; since = tickets ÷ (days since
that Monday, today included, ÷ 7), so a week under way is not read as a drop.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from proto.rates import Weights
from services.search.domain import rates

BEFORE_WEEKS = 8
CATEGORY = re.compile(r"^\d{2,12}$")
AREA = re.compile(r"^\d{6,12}$")
Phase = Literal["before", "since"]


@dataclass(frozen=True)
class Task:
    id: str
    department_code: str
    title: str
    due_on: date
    done: bool = False
    done_by: str | None = None
    done_at: datetime | None = None

    def overdue(self, today: date) -> bool:
        return not self.done and self.due_on < today


@dataclass(frozen=True)
class ProblemClass:
    """Tickets of `category_code` (or below it) in any of `area_codes` (or below them)."""

    category_code: str
    area_codes: tuple[str, ...]

    @classmethod
    def of_hotspot(cls, key: str) -> ProblemClass:
        """A hot spot's class: its category in its street (key `category@street`)."""
        category, _, street = key.partition("@")
        return cls(category, (street,))

    def problems(self) -> list[tuple[str, str]]:
        """(field, message key) of each part that is not a code."""
        found = [] if CATEGORY.match(self.category_code) else [("category_code", "bad_code")]
        if not self.area_codes or not all(AREA.match(a) for a in self.area_codes):
            found.append(("area_codes", "bad_code"))
        return found

    def filters(self) -> dict[str, list[str]]:
        """The index filters selecting the class (codes match at every level)."""
        return {"category_codes": [self.category_code], "area_codes": list(self.area_codes)}


def progress(tasks: Iterable[Task], today: date) -> dict[str, int]:
    listed = list(tasks)
    return {
        "tasks": len(listed),
        "done": sum(t.done for t in listed),
        "overdue": sum(t.overdue(today) for t in listed),
    }


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weeks(starts_on: date, today: date, before: int = BEFORE_WEEKS) -> list[tuple[date, Phase]]:
    """Every week (its Monday) of the chart, oldest first, with its phase."""
    start = monday(starts_on)
    first = start - timedelta(weeks=before)
    count = max(0, (monday(today) - first).days // 7 + 1)
    listed = [first + timedelta(weeks=k) for k in range(count)]
    return [(week, "before" if week < start else "since") for week in listed]


Sums = Mapping[str, Mapping[str, float]]  # week's Monday (ISO) → summed counters


def chart(
    listed: Sequence[tuple[date, Phase]],
    volume: Mapping[str, int],
    rated: Sums,
    resolved: Sums,
    weights: Weights,
) -> list[dict[str, Any]]:
    """One row per week: tickets created, the three rates of the ratings given that week and
    SLA compliance of the resolutions that week, as the dashboard computes them."""
    rows = []
    for week, phase in listed:
        key = week.isoformat()
        rows.append({
            "week": key,
            "phase": phase,
            "tickets": int(volume.get(key, 0)),
            "rated": int(rated.get(key, {}).get("m_rated", 0)),
            **rates.three_rates(rated.get(key, {}), weights),
            "sla_compliance": rates.sla_compliance(resolved.get(key, {})),
        })  # fmt: skip
    return rows


def phases(
    rows: Sequence[Mapping[str, Any]], rated: Sums, resolved: Sums, weights: Weights, today: date
) -> dict[str, dict[str, Any]]:
    """Each phase's totals: tickets, weekly mean, and its rates over all its weeks."""
    found: dict[str, dict[str, Any]] = {}
    for phase in ("before", "since"):
        chosen = [r["week"] for r in rows if r["phase"] == phase]
        tickets = sum(int(r["tickets"]) for r in rows if r["phase"] == phase)
        span = _weeks_elapsed(chosen, today) if phase == "since" else len(chosen)
        rating = _add([rated.get(w, {}) for w in chosen], rates.COUNTERS)
        resolving = _add([resolved.get(w, {}) for w in chosen], rates.SLA_COUNTERS)
        found[phase] = {
            "weeks": len(chosen),
            "tickets": tickets,
            "weekly": rates.ratio(tickets, span),
            "rated": int(rating["m_rated"]),
            **rates.three_rates(rating, weights),
            "sla_compliance": rates.sla_compliance(resolving),
        }
    return found


def volume_change(before: float | None, since: float | None) -> float | None:
    """since ÷ before − 1 of the weekly means (−0.25: a quarter fewer tickets a week)."""
    if not before or since is None:
        return None
    return round(since / before - 1, 4)


def _weeks_elapsed(chosen: Sequence[str], today: date) -> float:
    if not chosen:
        return 0
    return ((today - date.fromisoformat(chosen[0])).days + 1) / 7


def _add(parts: Iterable[Mapping[str, float]], names: Sequence[str]) -> dict[str, float]:
    listed = list(parts)
    return {name: sum(float(p.get(name, 0)) for p in listed) for name in names}
