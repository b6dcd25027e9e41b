"""What is wrong with an ordered rule set as a whole, and why a call would go where it goes.
Pure: the rules are the ones `routing.Router` walks, first match wins."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from services.dispatch.domain.routing import FALLBACK_RULE, TERRITORY, Route, Router, Rule

ProblemKind = Literal["shadowed", "contradicts"]
SHADOWED: ProblemKind = "shadowed"
CONTRADICTS: ProblemKind = "contradicts"


@dataclass(frozen=True)
class Problem:
    """`rule` has the problem because of `other`, which comes before it: `shadowed` means
    `other` takes every call `rule` would take, so `rule` never matches; `contradicts`
    means both are for the very same category × area yet name different departments."""

    kind: ProblemKind
    rule: str
    other: str
    category: str | None
    area: str | None


def _covers(broader: str | None, narrower: str | None) -> bool:
    """Every code `narrower` matches, `broader` matches too (None: any code)."""
    if broader is None:
        return True
    return narrower is not None and narrower.startswith(broader)


def covers(earlier: Rule, later: Rule) -> bool:
    return _covers(earlier.category, later.category) and _covers(earlier.area, later.area)


def _departments(rule: Rule) -> tuple[str, frozenset[str]]:
    return rule.department, frozenset(rule.co)


def find_problems(rules: Sequence[Rule]) -> list[Problem]:
    """Each rule's first earlier rule that covers it (shadowed), and every pair for the same
    category × area whose lead or co-handling departments differ (contradicts), in rule order."""
    found: list[Problem] = []
    for index, rule in enumerate(rules):
        earlier = rules[:index]
        cover = next((e for e in earlier if covers(e, rule)), None)
        if cover is not None:
            found.append(Problem(SHADOWED, rule.id, cover.id, rule.category, rule.area))
        for other in earlier:
            same_place = (other.category, other.area) == (rule.category, rule.area)
            if same_place and _departments(other) != _departments(rule):
                found.append(Problem(CONTRADICTS, rule.id, other.id, rule.category, rule.area))
    return found


@dataclass(frozen=True)
class Explained:
    """A route and why: the rule that matched (`rule_id`) with its category and area
    prefixes, or the territory whose area prefix matched; `review` when a dispatcher
    must decide."""

    route: Route
    kind: Literal["rule", "territory", "review"]
    rule_id: str | None
    category_prefix: str | None
    area_prefix: str | None


def explain(router: Router, category: str, area: str | None) -> Explained:
    """Where a call about `category` at `area` goes, by the router the dispatcher uses."""
    route = router.route(category, area)
    if not route.confident or route.rule == FALLBACK_RULE:
        return Explained(route, "review", None, None, None)
    kind, _, name = route.rule.partition(":")
    if kind == "rule":
        rule = next(r for r in router.rules if r.id == name)
        return Explained(route, "rule", rule.id, rule.category, rule.area)
    length = next(n for n, level in TERRITORY if level == name)
    return Explained(route, "territory", None, None, (area or "")[:length])
