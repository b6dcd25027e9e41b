"""Dispatchers and admins ask where a call would go and what is wrong with the rules, for
the saved rules or for a draft of them (the rules as they would be after an unsaved edit)."""

from __future__ import annotations

from collections.abc import Sequence

from services.common.errors import FieldError, Invalid
from services.dispatch.domain.routing import Router, Rule
from services.dispatch.domain.rule_problems import Explained, Problem, explain, find_problems
from services.dispatch.handlers.context import DispatchContext


def preview(
    deps: DispatchContext, category: str, area: str | None, draft: Sequence[Rule] | None = None
) -> Explained:
    """The saved rules through the very router the dispatcher uses; a draft through a router
    built the same way, with the same departments and fallback."""
    current = _saved_router(deps)
    if draft is None:
        return explain(current, category, area)
    _known_departments(current, draft)
    departments = list(current.departments.values())
    return explain(Router(departments, draft, current.fallback.code), category, area)


def previews(deps: DispatchContext, categories: Sequence[str], area: str | None) -> list[Explained]:
    """Several categories for one place by the saved rules, read once."""
    current = _saved_router(deps)
    return [explain(current, category, area) for category in categories]


def _saved_router(deps: DispatchContext) -> Router:
    with deps.uow() as u:
        return deps.directory.router(u.rules)


def problems(deps: DispatchContext, draft: Sequence[Rule] | None = None) -> list[Problem]:
    if draft is None:
        with deps.uow() as u:
            draft = u.rules.ordered()
    return find_problems(draft)


def _known_departments(router: Router, draft: Sequence[Rule]) -> None:
    errors = [
        FieldError(f"rules.{index}.{field}", "dispatch.unknown_department", {"code": code})
        for index, rule in enumerate(draft)
        for field, code in (("department", rule.department), *(("co", c) for c in rule.co))
        if code not in router.departments
    ]
    if errors:
        raise Invalid.fields(errors)
