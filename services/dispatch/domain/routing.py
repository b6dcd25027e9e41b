"""Routing: which department must act on a ticket, who helps, and which rule said so. Pure."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

FALLBACK_RULE = "fallback:center"
# Street codes are 9 digits, districts 6: territory walks up from the most specific.
TERRITORY = ((9, "street"), (6, "district"))


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    kind: str
    area: str | None = None


@dataclass(frozen=True)
class Rule:
    """Matches when the category starts with `category` and the area with `area` (either
    may be None: any). The first matching rule of the ordered list wins."""

    id: str
    department: str
    category: str | None = None
    area: str | None = None
    co: tuple[str, ...] = ()

    def matches(self, category_code: str, area_code: str | None) -> bool:
        if self.category and not category_code.startswith(self.category):
            return False
        return not self.area or (area_code or "").startswith(self.area)


@dataclass(frozen=True)
class Route:
    """`confident` is False when a dispatcher must decide (review queue); `department` is
    then the centre that holds the ticket meanwhile and `reason` says why."""

    department: Department
    rule: str
    co: tuple[Department, ...] = ()
    confident: bool = True
    reason: str = ""


class Router:
    """Explicit rules first (category × area), then territory: the street office of the
    location, then its district government (兜底). A ticket without a location, or with
    one no office covers, goes to the review queue."""

    def __init__(self, departments: Sequence[Department], rules: Sequence[Rule], fallback: str):
        self.departments = {d.code: d for d in departments}
        self.by_area = {d.area: d for d in departments if d.area}
        unknown = [c for r in rules for c in (r.department, *r.co) if c not in self.departments]
        if unknown or fallback not in self.departments:
            raise ValueError(f"rules reference unknown departments: {unknown or [fallback]}")
        self.rules = list(rules)
        self.fallback = self.departments[fallback]

    def route(self, category_code: str, area_code: str | None) -> Route:
        explicit = self.explicit(category_code, area_code)
        if explicit is not None:
            return explicit
        if not area_code:
            return Route(self.fallback, FALLBACK_RULE, confident=False, reason="no_location")
        territorial = self.territory(area_code)
        if territorial is None:
            return Route(self.fallback, FALLBACK_RULE, confident=False, reason="unknown_area")
        return territorial

    def territory(self, area_code: str) -> Route | None:
        """The office responsible for a place, or None when none covers it."""
        for length, kind in TERRITORY:
            # A district's own code is shorter than a street's: it must not pass for one.
            if len(area_code) < length:
                continue
            department = self.by_area.get(area_code[:length])
            if department is not None:
                return Route(department, f"territory:{kind}")
        return None

    def explicit(self, category_code: str, area_code: str | None) -> Route | None:
        """The route of the first explicit rule that matches, if any."""
        for rule in self.rules:
            if rule.matches(category_code, area_code):
                return self._by_rule(rule)
        return None

    def _by_rule(self, rule: Rule) -> Route:
        co = tuple(self.departments[c] for c in rule.co)
        return Route(self.departments[rule.department], f"rule:{rule.id}", co)


def rule_problems(
    rule: Rule, departments: Collection[str], categories: Collection[str], areas: Collection[str]
) -> list[tuple[str, str, str]]:
    """(field, message code, offending value) for each reason the rule cannot be saved."""
    problems = []
    for field, code in (("department", rule.department), *(("co", c) for c in rule.co)):
        if code not in departments:
            problems.append((field, "dispatch.unknown_department", code))
    if rule.department in rule.co or len(set(rule.co)) != len(rule.co):
        problems.append(("co", "dispatch.co_repeats_department", rule.department))
    if rule.category and rule.category not in categories:
        problems.append(("category", "dispatch.unknown_category", rule.category))
    if rule.area and rule.area not in areas:
        problems.append(("area", "dispatch.unknown_area", rule.area))
    if not rule.category and not rule.area:
        problems.append(("category", "dispatch.rule_matches_everything", ""))
    return problems
