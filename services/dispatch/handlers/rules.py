"""Admins edit the routing rules: validated on save, every change kept with who and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.common.auth import Principal
from services.common.errors import Conflict, FieldError, Invalid, NotFound
from services.dispatch.domain.routing import Rule, rule_problems
from services.dispatch.handlers.context import DispatchContext
from services.dispatch.handlers.ports import StoredRule, UnitOfWork


@dataclass(frozen=True)
class RuleDraft:
    """A rule as submitted; `position` 0 is first, None keeps its place (new: last)."""

    rule: Rule
    note: str = ""
    position: int | None = None


def create(deps: DispatchContext, user: Principal, draft: RuleDraft) -> None:
    now = deps.now()
    with deps.uow() as u:
        if u.rules.get(draft.rule.id) is not None:
            raise Conflict("dispatch.rule_exists", field="id", id=draft.rule.id)
        _validate(u, draft.rule)
        u.rules.add(draft.rule, draft.note, user.username, now)
        _renumber(u, draft.rule.id, draft.position)
        _log(u, draft.rule.id, "create", None, user.username, now)
        u.commit()


def replace(deps: DispatchContext, user: Principal, draft: RuleDraft) -> None:
    now = deps.now()
    with deps.uow() as u:
        before = u.rules.get(draft.rule.id)
        if before is None:
            raise NotFound("dispatch.rule_not_found", id=draft.rule.id)
        _validate(u, draft.rule)
        u.rules.replace(draft.rule, draft.note, user.username, now)
        _renumber(u, draft.rule.id, draft.position)
        _log(u, draft.rule.id, "update", before, user.username, now)
        u.commit()


def remove(deps: DispatchContext, user: Principal, rule_id: str) -> None:
    now = deps.now()
    with deps.uow() as u:
        before = u.rules.get(rule_id)
        if before is None:
            raise NotFound("dispatch.rule_not_found", id=rule_id)
        u.rules.remove(rule_id)
        _renumber(u, None, None)
        _log(u, rule_id, "delete", before, user.username, now)
        u.commit()


def _validate(u: UnitOfWork, rule: Rule) -> None:
    departments = u.rules.departments()
    codes = {d.code for d in departments}
    areas = {d.area for d in departments if d.area}
    found = rule_problems(rule, codes, u.rules.category_codes(), areas)
    if found:
        raise Invalid.fields(
            [FieldError(field, code, {"code": value}) for field, code, value in found]
        )


def _renumber(u: UnitOfWork, moved: str | None, position: int | None) -> None:
    """Positions stay 0, 1, 2, ... in order; `moved` goes to `position` when one is given."""
    ids = u.rules.order()
    if moved is not None and position is not None:
        ids.remove(moved)
        ids.insert(max(0, min(position, len(ids))), moved)
    u.rules.place(ids)


def _log(
    u: UnitOfWork, rule_id: str, action: str, before: StoredRule | None, by: str, now: datetime
) -> None:
    """留痕 for rules: the rows before and after, who and when; and the version other
    instances watch to reload their router."""
    u.rules.record_change(rule_id, action, before, u.rules.get(rule_id), by, now)
