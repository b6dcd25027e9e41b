"""Routing: which department must act on a ticket, and which rule said so. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

FALLBACK_RULE = "fallback:center"


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    kind: str
    area: str | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    department: str


@dataclass(frozen=True)
class Route:
    department: Department
    rule: str


class Router:
    """Explicit rules first (category prefix), then territory: the street office of the
    location, then its district government (兜底); no location at all goes to the centre."""

    def __init__(self, departments: Sequence[Department], rules: Sequence[Rule], fallback: str):
        self.departments = {d.code: d for d in departments}
        self.by_area = {d.area: d for d in departments if d.area}
        unknown = [r.department for r in rules if r.department not in self.departments]
        if unknown or fallback not in self.departments:
            raise ValueError(f"rules reference unknown departments: {unknown or [fallback]}")
        self.rules = list(rules)
        self.fallback = self.departments[fallback]

    def route(self, category_code: str, area_code: str | None) -> Route:
        for rule in self.rules:
            if category_code.startswith(rule.category):
                return Route(self.departments[rule.department], f"rule:{rule.id}")
        if area_code:
            # Street codes are 9 digits, districts 6: walk up from the most specific.
            for length, kind in ((9, "street"), (6, "district")):
                department = self.by_area.get(area_code[:length])
                if department is not None:
                    return Route(department, f"territory:{kind}")
        return Route(self.fallback, FALLBACK_RULE)
