"""Admins edit the routing rules: validated on save, every change kept with who and when."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update

from services.common.auth import Principal
from services.common.db import UnitOfWork
from services.common.errors import Conflict, FieldError, Invalid, NotFound
from services.dispatch.adapters.directory import all_departments, bump_rules_version, rule_values
from services.dispatch.adapters.orm import categories, routing_rules, rule_changes
from services.dispatch.domain.routing import Rule, rule_problems
from services.dispatch.handlers.context import Deps

LAST = 10**6


@dataclass(frozen=True)
class RuleDraft:
    """A rule as submitted; `position` 0 is first, None keeps its place (new: last)."""

    rule: Rule
    note: str = ""
    position: int | None = None


def create(deps: Deps, user: Principal, draft: RuleDraft) -> None:
    now = deps.now()
    with deps.uow() as u:
        if _row(u, draft.rule.id) is not None:
            raise Conflict("dispatch.rule_exists", field="id", id=draft.rule.id)
        _validate(u, draft.rule)
        values = rule_values(draft.rule, LAST, user.username, now) | {"note": draft.note}
        u.session.execute(insert(routing_rules).values(values))
        _renumber(u, draft.rule.id, draft.position)
        _log(u, draft.rule.id, "create", None, user.username, now)
        u.commit()


def replace(deps: Deps, user: Principal, draft: RuleDraft) -> None:
    now = deps.now()
    with deps.uow() as u:
        before = _row(u, draft.rule.id)
        if before is None:
            raise NotFound("dispatch.rule_not_found", id=draft.rule.id)
        _validate(u, draft.rule)
        values = rule_values(draft.rule, before.position, user.username, now)
        u.session.execute(
            update(routing_rules)
            .where(routing_rules.c.id == draft.rule.id)
            .values(values | {"note": draft.note})
        )
        _renumber(u, draft.rule.id, draft.position)
        _log(u, draft.rule.id, "update", before, user.username, now)
        u.commit()


def remove(deps: Deps, user: Principal, rule_id: str) -> None:
    now = deps.now()
    with deps.uow() as u:
        before = _row(u, rule_id)
        if before is None:
            raise NotFound("dispatch.rule_not_found", id=rule_id)
        u.session.execute(delete(routing_rules).where(routing_rules.c.id == rule_id))
        _renumber(u, None, None)
        _log(u, rule_id, "delete", before, user.username, now)
        u.commit()


def _validate(u: UnitOfWork, rule: Rule) -> None:
    departments = all_departments(u.session)
    codes = {d.code for d in departments}
    areas = {d.area for d in departments if d.area}
    known = set(u.session.scalars(select(categories.c.code)))
    found = rule_problems(rule, codes, known, areas)
    if found:
        raise Invalid.fields(
            [FieldError(field, code, {"code": value}) for field, code, value in found]
        )


def _row(u: UnitOfWork, rule_id: str) -> Any:
    return u.session.execute(select(routing_rules).where(routing_rules.c.id == rule_id)).first()


def _renumber(u: UnitOfWork, moved: str | None, position: int | None) -> None:
    """Positions stay 0, 1, 2, ... in order; `moved` goes to `position` when one is given."""
    query = select(routing_rules.c.id).order_by(routing_rules.c.position, routing_rules.c.id)
    ids = list(u.session.scalars(query))
    if moved is not None and position is not None:
        ids.remove(moved)
        ids.insert(max(0, min(position, len(ids))), moved)
    for index, rule_id in enumerate(ids):
        u.session.execute(
            update(routing_rules).where(routing_rules.c.id == rule_id).values(position=index)
        )


def _log(u: UnitOfWork, rule_id: str, action: str, before: Any, by: str, now: datetime) -> None:
    """留痕 for rules: the rows before and after, who and when; and the version other
    instances watch to reload their router."""
    after = _row(u, rule_id)
    u.session.execute(
        insert(rule_changes).values(
            rule_id=rule_id, action=action, before=_dump(before), after=_dump(after), by=by, at=now
        )
    )
    bump_rules_version(u.session)


def _dump(row: Any) -> str | None:
    if row is None:
        return None
    return json.dumps({k: str(v) for k, v in row._mapping.items()}, ensure_ascii=False)
