"""The three rates (三率) and SLA compliance, from the answers folded into the documents.

The rates are those of `proto.rates`, the definition the feedback service's assessment uses
too, with the same configured weights; every rated round counts once (a reopened ticket is
rated again).

One difference follows from keeping one document per ticket: all of a ticket's ratings are
counted for the department and the month of its latest rating, where the feedback service
counts each round for its own lead department and month. The two differ only for tickets
rated again in a later month or after a change of department.

A ticket an upheld appeal excludes from its rating department's rates (feedback decides and
says so in the appeal's events) is counted under `excluded:<code>` instead of `<code>`: in
none of the department's rates, and visibly beside them.

SLA compliance = lead resolutions that met their deadline / lead resolutions, per period of
the resolution.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any

from proto.rates import Tally, Weights, rates_of, responded

# Per-ticket counters that the index sums per department and period.
COUNTERS = ("m_rated", "m_responded", "m_solved", "m_satisfied", "m_basically_satisfied")
SLA_COUNTERS = ("m_resolved", "m_within_sla")
EXCLUDED = "excluded:"


def counted_for(department_code: str | None, exclusions: Mapping[str, bool]) -> str | None:
    """The key a rated ticket counts under: its rating department, or `excluded:<code>`
    when feedback's latest word is that an upheld appeal excludes it from that one's rates."""
    if department_code and exclusions.get(department_code):
        return f"{EXCLUDED}{department_code}"
    return department_code


def counts(ratings: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """A ticket's contribution to the three rates: all zero when it was never rated."""
    chosen = list(ratings)
    answers = [r.get("satisfaction") for r in chosen]
    return {
        "m_rated": len(chosen),
        "m_responded": sum(
            responded(bool(r.get("contacted")), r.get("contact_on_time")) for r in chosen
        ),
        "m_solved": sum(bool(r.get("solved")) for r in chosen),
        "m_satisfied": answers.count("satisfied"),
        "m_basically_satisfied": answers.count("basically_satisfied"),
    }


def ratio(part: float | Fraction, whole: float) -> float | None:
    """part / whole rounded to 4 places; None when there is nothing to divide."""
    return round(float(part) / whole, 4) if whole else None


RATES = ("response", "resolution", "satisfaction")


def _tally(sums: Mapping[str, Any]) -> Tally | None:
    rated = int(sums.get("m_rated", 0))
    if rated < 1:
        return None
    return Tally(
        department_code=str(sums.get("key", "")),
        rated=rated,
        responded=int(sums.get("m_responded", 0)),
        solved=int(sums.get("m_solved", 0)),
        satisfied=int(sums.get("m_satisfied", 0)),
        basically_satisfied=int(sums.get("m_basically_satisfied", 0)),
    )


def three_rates(sums: Mapping[str, float], weights: Weights) -> dict[str, float | None]:
    """响应率, 解决率 and 满意率 (`<name>_rate`, fractions of 1 rounded to 4 places) from
    summed counters; None when nothing was rated."""
    tally = _tally(sums)
    if tally is None:
        return {f"{name}_rate": None for name in RATES}
    computed = rates_of(tally, weights)
    return {f"{name}_rate": ratio(computed.get(name), 1) for name in RATES}


def score(sums: Mapping[str, Any], weights: Weights) -> Fraction | None:
    """综合得分 as an exact fraction of 1; None when nothing was rated."""
    tally = _tally(sums)
    return None if tally is None else rates_of(tally, weights).score


def ranked(rows: Iterable[Mapping[str, Any]], weights: Weights) -> list[dict[str, Any]]:
    """The rows (summed counters with a `key`) ordered as feedback's monthly ranking orders
    departments (docs/three-rates.md): by exact score, highest first; equal scores share a
    rank and the next rank skips (1, 2, 2, 4); among equals more ratings first, then the key.
    Each gets its `score` (a fraction of 1, 4 places) and `rank`; rows without a rating
    (every one excluded by appeal) follow, by key, with neither."""
    listed = [(score(row, weights), dict(row)) for row in rows]
    rated = sorted(
        ((s, row) for s, row in listed if s is not None),
        key=lambda pair: (-pair[0], -int(pair[1]["m_rated"]), str(pair[1]["key"])),
    )
    out: list[dict[str, Any]] = []
    for position, (exact, row) in enumerate(rated, start=1):
        tied = out and rated[position - 2][0] == exact
        out.append(row | {"score": ratio(exact, 1), "rank": out[-1]["rank"] if tied else position})
    unrated = sorted((row for s, row in listed if s is None), key=lambda row: str(row["key"]))
    return out + [row | {"score": None, "rank": None} for row in unrated]


def combined(rows: Iterable[Mapping[str, Any]], weights: Weights) -> dict[str, Any]:
    """City-wide figures: every row's ratings taken together (a mean weighted by ratings,
    not a mean of the rows' rates), with the three rates and the score."""
    sums: dict[str, Any] = {name: 0 for name in COUNTERS}
    for row in rows:
        for name in COUNTERS:
            sums[name] += int(row.get(name, 0))
    exact = score(sums, weights)
    return sums | three_rates(sums, weights) | {"score": None if exact is None else ratio(exact, 1)}


def sla_compliance(sums: Mapping[str, float]) -> float | None:
    """Share of lead resolutions that met their deadline."""
    return ratio(sums.get("m_within_sla", 0), sums.get("m_resolved", 0))
