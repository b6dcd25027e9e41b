"""The three rates (三率) and SLA compliance, from the answers folded into the documents.

Aligned with the feedback service's assessment (`services/feedback/domain/rates.py`):

- every rated round counts once (a reopened ticket is rated again);
- 响应率 response rate = ratings whose citizen says they were contacted, and whose contact
  dispatch did not record as late (`contact_on_time` false) / ratings;
- 解决率 solution rate = ratings saying the problem was solved / ratings;
- 满意率 satisfaction rate = (satisfied + basically satisfied × 0.8) / ratings.

One difference follows from keeping one document per ticket: all of a ticket's ratings are
counted for the department and the month of its latest rating, where the feedback service
counts each round for its own lead department and month. The two differ only for tickets
rated again in a later month or after a change of department.

SLA compliance = lead resolutions that met their deadline / lead resolutions, per period of
the resolution.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any

BASICALLY_SATISFIED_WEIGHT = Fraction(4, 5)
# Per-ticket counters that the index sums per department and period.
COUNTERS = ("m_rated", "m_responded", "m_solved", "m_satisfied", "m_basically_satisfied")
SLA_COUNTERS = ("m_resolved", "m_within_sla")


def _responded(rating: Mapping[str, Any]) -> bool:
    return bool(rating.get("contacted")) and rating.get("contact_on_time") is not False


def counts(ratings: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """A ticket's contribution to the three rates: all zero when it was never rated."""
    chosen = list(ratings)
    answers = [r.get("satisfaction") for r in chosen]
    return {
        "m_rated": len(chosen),
        "m_responded": sum(_responded(r) for r in chosen),
        "m_solved": sum(bool(r.get("solved")) for r in chosen),
        "m_satisfied": answers.count("satisfied"),
        "m_basically_satisfied": answers.count("basically_satisfied"),
    }


def ratio(part: float | Fraction, whole: float) -> float | None:
    """part / whole rounded to 4 places; None when there is nothing to divide."""
    return round(float(part) / whole, 4) if whole else None


def three_rates(sums: Mapping[str, float]) -> dict[str, float | None]:
    """响应率, 解决率 and 满意率 from summed counters, as fractions of 1."""
    rated = sums.get("m_rated", 0)
    satisfied = sums.get("m_satisfied", 0) + BASICALLY_SATISFIED_WEIGHT * Fraction(
        int(sums.get("m_basically_satisfied", 0))
    )
    return {
        "response_rate": ratio(sums.get("m_responded", 0), rated),
        "solution_rate": ratio(sums.get("m_solved", 0), rated),
        "satisfaction_rate": ratio(satisfied, rated),
    }


def sla_compliance(sums: Mapping[str, float]) -> float | None:
    """Share of lead resolutions that met their deadline."""
    return ratio(sums.get("m_within_sla", 0), sums.get("m_resolved", 0))
