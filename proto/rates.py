"""The three rates (响应率 / 解决率 / 满意率) and the composite score, in exact fractions: the
published definition that feedback (the monthly assessment) and search (the dashboard) both
compute with, named response / resolution / satisfaction everywhere.

Definitions are in docs/three-rates.md; this module is their one implementation. Counts come
from ratings (one per rated round, attributed to the round's lead department), so the same
ratings and weights always give the same rates. The weights are configured once, as
feedback's settings (HOTLINE_FEEDBACK_*_WEIGHT), and every reader uses those values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from math import lcm

RATE_NAMES = ("response", "resolution", "satisfaction", "score")


def responded(contacted: bool, contact_on_time: bool | None) -> bool:
    """A rating counts for the response rate when the citizen says they were contacted AND
    dispatch did not record the contact as late; None (ratings from before dispatch's
    verdict travelled with them) leaves the citizen's answer to decide."""
    return contacted and contact_on_time is not False


@dataclass(frozen=True, slots=True)
class Weights:
    """`basically_satisfied`: how much a 基本满意 counts as a 满意 (0..1). The other three
    weigh the rates in the composite score and must add up to exactly 1."""

    basically_satisfied: Fraction = Fraction(4, 5)
    response: Fraction = Fraction(1, 10)
    resolution: Fraction = Fraction(9, 20)
    satisfaction: Fraction = Fraction(9, 20)
    coefficients: tuple[int, int, int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("basically_satisfied", "response", "resolution", "satisfaction"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"weight {name} must lie between 0 and 1")
        if self.response + self.resolution + self.satisfaction != 1:
            raise ValueError("the response, resolution and satisfaction weights must add up to 1")
        object.__setattr__(self, "coefficients", _score_coefficients(self))

    @classmethod
    def of(cls, **weights: Decimal | str | float) -> Weights:
        """From decimals as configured (`0.45`), converted exactly, not through binary floats."""
        return cls(**{name: Fraction(str(value)) for name, value in weights.items()})


@dataclass(frozen=True, slots=True)
class Tally:
    """Counts of one department's ratings in one month.

    `responded`: contacted by the citizen's answer AND in time by dispatch's record;
    `satisfied` and `basically_satisfied` exclude each other; the rest were dissatisfied.
    """

    department_code: str
    rated: int
    responded: int
    solved: int
    satisfied: int
    basically_satisfied: int

    def __post_init__(self) -> None:
        if self.rated < 1:
            raise ValueError("a tally needs at least one rating")
        parts = (self.responded, self.solved, self.satisfied, self.basically_satisfied)
        if min(parts) < 0 or max(parts) > self.rated:
            raise ValueError("a count lies outside 0..rated")
        if self.satisfied + self.basically_satisfied > self.rated:
            raise ValueError("more satisfied answers than ratings")

    @property
    def dissatisfied(self) -> int:
        return self.rated - self.satisfied - self.basically_satisfied


@dataclass(frozen=True, slots=True)
class Rates:
    """Each rate is a fraction of 1; `score` is their weighted sum."""

    response: Fraction
    resolution: Fraction
    satisfaction: Fraction
    score: Fraction

    def get(self, name: str) -> Fraction:
        if name not in RATE_NAMES:
            raise KeyError(name)
        value: Fraction = getattr(self, name)
        return value


def rates_of(tally: Tally, weights: Weights) -> Rates:
    """响应率 = responded / rated; 解决率 = solved / rated;
    满意率 = (satisfied + basically_satisfied × weight) / rated; score = Σ weight × rate."""
    n = tally.rated
    basic = weights.basically_satisfied
    # Integer numerators over one denominator: exact, and one reduction per rate instead of
    # a chain of fraction operations (a ranking computes hundreds of these).
    satisfied = tally.satisfied * basic.denominator + tally.basically_satisfied * basic.numerator
    c_response, c_resolution, c_satisfied, common = weights.coefficients
    score = c_response * tally.responded + c_resolution * tally.solved + c_satisfied * satisfied
    return Rates(
        response=Fraction(tally.responded, n),
        resolution=Fraction(tally.solved, n),
        satisfaction=Fraction(satisfied, n * basic.denominator),
        score=Fraction(score, n * common),
    )


def _score_coefficients(weights: Weights) -> tuple[int, int, int, int]:
    """Integers (a, b, c, d) with score × rated = (a × responded + b × solved +
    c × satisfied-numerator) / d, where the satisfied numerator is over the 基本满意
    weight's denominator."""
    basic = weights.basically_satisfied.denominator
    common = lcm(weights.response.denominator, weights.resolution.denominator)
    common = lcm(common, weights.satisfaction.denominator * basic)
    return (
        int(weights.response * common),
        int(weights.resolution * common),
        int(weights.satisfaction * common / basic),
        common,
    )


def percent(value: Fraction, places: int = 2) -> Decimal:
    """`value` (a fraction of 1, or a difference of two) in percent, rounded half away from
    zero: 1/6 → 16.67, -1/8 → -12.50."""
    exact = Decimal(value.numerator * 100) / Decimal(value.denominator)
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
