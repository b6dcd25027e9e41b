"""Admins edit the routing rules: validated on save, every change kept with who and when,
published as an audit event in the same transaction, at once or from a later date."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.common import scheduled
from services.common.audit import record_change
from services.common.auth import Principal
from services.common.errors import Conflict, FieldError, Invalid, NotFound
from services.dispatch.adapters.orm import scheduled_changes
from services.dispatch.domain.routing import Rule, rule_problems
from services.dispatch.handlers.context import DispatchContext
from services.dispatch.handlers.ports import StoredRule, UnitOfWork

KIND = "routing_rule"
VERBS = {"create": "新增", "change": "修改", "delete": "删除", "move": "调整顺序"}


@dataclass(frozen=True)
class RuleDraft:
    """A rule as submitted; `position` 0 is first, None keeps its place (new: last)."""

    rule: Rule
    note: str = ""
    position: int | None = None


Scheduled = scheduled.ScheduledRead | None


def create(
    deps: DispatchContext, user: Principal, draft: RuleDraft, effective_at: datetime | None = None
) -> Scheduled:
    """None when done at once; the scheduled change when `effective_at` is later."""
    now = deps.now()
    at = scheduled.when(effective_at, now)
    with deps.uow() as u:
        if at is None:
            _create(u, user.username, draft, now)
        else:
            _refuse_existing(u, draft.rule.id)
            _validate(u, draft.rule)
            return _schedule(u, user, now, at, _payload("create", draft))
        u.commit()
    return None


def replace(
    deps: DispatchContext, user: Principal, draft: RuleDraft, effective_at: datetime | None = None
) -> Scheduled:
    now = deps.now()
    at = scheduled.when(effective_at, now)
    with deps.uow() as u:
        if at is None:
            _replace(u, user.username, draft, now)
        else:
            _existing(u, draft.rule.id)
            _validate(u, draft.rule)
            return _schedule(u, user, now, at, _payload("change", draft))
        u.commit()
    return None


def remove(
    deps: DispatchContext, user: Principal, rule_id: str, effective_at: datetime | None = None
) -> Scheduled:
    now = deps.now()
    at = scheduled.when(effective_at, now)
    with deps.uow() as u:
        if at is None:
            _remove(u, user.username, rule_id, now)
        else:
            _existing(u, rule_id)
            return _schedule(u, user, now, at, {"action": "delete", "id": rule_id})
        u.commit()
    return None


def move(
    deps: DispatchContext,
    user: Principal,
    rule_id: str,
    position: int,
    effective_at: datetime | None = None,
) -> Scheduled:
    """Puts the rule at `position` (0 first); the others keep their order."""
    now = deps.now()
    at = scheduled.when(effective_at, now)
    with deps.uow() as u:
        if at is None:
            _move(u, user.username, rule_id, position, now)
        else:
            _existing(u, rule_id)
            payload = {"action": "move", "id": rule_id, "position": position}
            return _schedule(u, user, now, at, payload)
        u.commit()
    return None


def apply_scheduled(
    uow: UnitOfWork, payload: Mapping[str, Any], by: Principal, effective_at: datetime
) -> None:
    """A change kept for `effective_at`, done now by the code of the immediate path (the
    worker commits)."""
    action, name = payload["action"], by.username
    if action == "create":
        _create(uow, name, _draft_of(payload), effective_at, effective_at)
    elif action == "change":
        _replace(uow, name, _draft_of(payload), effective_at, effective_at)
    elif action == "delete":
        _remove(uow, name, payload["id"], effective_at, effective_at)
    elif action == "move":
        _move(uow, name, payload["id"], payload["position"], effective_at, effective_at)
    else:
        raise Conflict("scheduled.unknown_kind", kind=f"{KIND}:{action}")


def _create(
    u: UnitOfWork, by: str, draft: RuleDraft, now: datetime, effective_at: datetime | None = None
) -> None:
    _refuse_existing(u, draft.rule.id)
    _validate(u, draft.rule)
    u.rules.add(draft.rule, draft.note, by, now)
    _renumber(u, draft.rule.id, draft.position)
    _log(u, draft.rule.id, "create", None, by, now, effective_at)


def _replace(
    u: UnitOfWork, by: str, draft: RuleDraft, now: datetime, effective_at: datetime | None = None
) -> None:
    before = _existing(u, draft.rule.id)
    _validate(u, draft.rule)
    u.rules.replace(draft.rule, draft.note, by, now)
    _renumber(u, draft.rule.id, draft.position)
    _log(u, draft.rule.id, "change", before, by, now, effective_at)


def _remove(
    u: UnitOfWork, by: str, rule_id: str, now: datetime, effective_at: datetime | None = None
) -> None:
    before = _existing(u, rule_id)
    u.rules.remove(rule_id)
    _renumber(u, None, None)
    _log(u, rule_id, "delete", before, by, now, effective_at)


def _move(
    u: UnitOfWork,
    by: str,
    rule_id: str,
    position: int,
    now: datetime,
    effective_at: datetime | None = None,
) -> None:
    before = _existing(u, rule_id)
    _renumber(u, rule_id, position)
    _log(u, rule_id, "move", before, by, now, effective_at)


def _existing(u: UnitOfWork, rule_id: str) -> StoredRule:
    found = u.rules.get(rule_id)
    if found is None:
        raise NotFound("dispatch.rule_not_found", id=rule_id)
    return found


def _refuse_existing(u: UnitOfWork, rule_id: str) -> None:
    if u.rules.get(rule_id) is not None:
        raise Conflict("dispatch.rule_exists", field="id", id=rule_id)


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
    u: UnitOfWork,
    rule_id: str,
    action: str,
    before: StoredRule | None,
    by: str,
    now: datetime,
    effective_at: datetime | None,
) -> None:
    """留痕 for rules: the rows before and after, who and when, in the rules' own log and as
    an audit event; and the version other instances watch to reload their router."""
    after = u.rules.get(rule_id)
    u.rules.record_change(rule_id, action, before, after, by, now)
    shown_before, shown_after = shown(before), shown(after)
    record_change(
        u,
        kind=KIND,
        key=rule_id,
        action=action,
        by=by,
        at=now,
        before=shown_before,
        after=shown_after,
        version=u.rules.version(),
        summary=summary(rule_id, shown_after or shown_before or {}),
        effective_at=effective_at,
    )


def shown(stored: StoredRule | None) -> dict[str, Any] | None:
    """A stored rule as the API shows it."""
    if stored is None:
        return None
    fields = ("id", "position", "category", "area", "department", "note", "updated_by")
    return {f: stored[f] for f in fields} | {
        "co": list(stored["co"]),
        "updated_at": stored["updated_at"],
    }


def summary(rule_id: str, record: Mapping[str, Any]) -> str:
    """规则 R12：0301 × 110105 → D-CG（协办 G-CY）; * is any."""
    place = f"{record.get('category') or '*'} × {record.get('area') or '*'}"
    co = record.get("co") or []
    helpers = f"（协办 {'、'.join(co)}）" if co else ""
    return f"规则 {rule_id}：{place} → {record.get('department', '')}{helpers}"


def _payload(action: str, draft: RuleDraft) -> dict[str, Any]:
    rule = draft.rule
    return {
        "action": action,
        "id": rule.id,
        "department": rule.department,
        "category": rule.category,
        "area": rule.area,
        "co": list(rule.co),
        "note": draft.note,
        "position": draft.position,
    }


def _draft_of(payload: Mapping[str, Any]) -> RuleDraft:
    rule = Rule(
        payload["id"],
        payload["department"],
        payload.get("category"),
        payload.get("area"),
        tuple(payload.get("co") or ()),
    )
    return RuleDraft(rule, payload.get("note") or "", payload.get("position"))


def _schedule(
    u: UnitOfWork, user: Principal, now: datetime, at: datetime, payload: dict[str, Any]
) -> scheduled.ScheduledRead:
    rule_id = payload["id"]
    text = summary(rule_id, payload) if "department" in payload else f"规则 {rule_id}"
    found = scheduled.schedule(
        u,
        scheduled_changes,
        kind=KIND,
        key=rule_id,
        payload=payload,
        effective_at=at,
        by=user,
        now=now,
        summary=f"{VERBS[payload['action']]} · {text}",
    )
    u.commit()
    return found
