"""Admins shape the departments: add one, rename it, set its territory and duty contact,
merge one into another. Each change is audited in its own transaction, or kept for a later
date and applied then by the same code (`apply_scheduled`)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from proto.envelope import new_id
from services.common import scheduled
from services.common.audit import record_change
from services.common.auth import Principal
from services.common.errors import Conflict, FieldError, Invalid, NotFound
from services.dispatch.adapters.orm import scheduled_changes
from services.dispatch.adapters.seed import FALLBACK
from services.dispatch.domain.departments import repointed, territory_problems, transfer
from services.dispatch.handlers import notices
from services.dispatch.handlers.context import DispatchContext, publish
from services.dispatch.handlers.ports import UnitOfWork

log = logging.getLogger(__name__)
KIND = "department"
NOTICE_FIELDS = ("notice_channel", "duty_phone", "webhook_url")

MESSAGES: dict[str, dict[str, str]] = {
    "dispatch.department_exists": {
        "zh": "承办单位代码 {code} 已存在。",
        "en": "Department code {code} already exists.",
    },
    "dispatch.department_retired": {
        "zh": "承办单位 {code} 已并入 {into}，不再接收新的工作。",
        "en": "Department {code} was merged into {into} and takes no new work.",
    },
    "dispatch.territory_taken": {
        "zh": "地址编码 {code} 已属于其他承办单位的辖区。",
        "en": "Address code {code} is already in another department's territory.",
    },
    "dispatch.bad_territory_code": {
        "zh": "{code} 不是区（6 位）或街道（9 位）地址编码。",
        "en": "{code} is not a district (6-digit) or street (9-digit) address code.",
    },
    "dispatch.merge_into_itself": {
        "zh": "承办单位不能并入自身。",
        "en": "A department cannot be merged into itself.",
    },
    "dispatch.fallback_department": {
        "zh": "{code} 是兜底承办单位，不能并入其他单位。",
        "en": "{code} holds the tickets nobody else does and cannot be merged away.",
    },
}


def overview(deps: DispatchContext) -> list[dict[str, Any]]:
    with deps.uow() as u:
        return u.departments.overview()


def merge_preview(deps: DispatchContext, code: str, into: str) -> dict[str, Any]:
    """What a merge would move: the open assignments and the rules naming `code`."""
    with deps.uow() as u:
        _mergeable(u, code, into)
        moving = u.departments.open_assignments(code)
        rules = [r.id for r in u.rules.ordered() if repointed(r, code, into) is not None]
    return {"code": code, "into": into, "open_assignments": len(moving), "rules": rules}


def submit(
    deps: DispatchContext,
    user: Principal,
    payload: dict[str, Any],
    effective_at: datetime | None,
) -> dict[str, Any] | scheduled.ScheduledRead:
    """Applies the change now, or keeps it for `effective_at` (a past moment is refused).
    `payload` names its `action` (create, change, merge) and the department's `code`."""
    now = deps.now()
    at = scheduled.when(effective_at, now)
    if at is not None:
        # Tried on today's configuration and never committed: a change that cannot be made
        # now is refused now, not only when its day comes.
        with deps.uow() as trial:
            _apply(trial, payload, user.username, at, at)
    with deps.uow() as u:
        if at is not None:
            found = scheduled.schedule(u, scheduled_changes, kind=KIND, key=payload["code"],
                                       payload=payload, effective_at=at, by=user, now=now,
                                       summary=_summary(payload))  # fmt: skip
            u.commit()
            return found
        done = _apply(u, payload, user.username, now, None)
        u.commit()
    log.info("department %s: %s by %s", payload["code"], payload["action"], user.username)
    return done


def apply_scheduled(
    uow: UnitOfWork, payload: Mapping[str, Any], by: Principal, effective_at: datetime
) -> None:
    """The worker's applier for kind `department` (the worker commits)."""
    _apply(uow, dict(payload), by.username, effective_at, effective_at)


def _apply(
    u: UnitOfWork, payload: dict[str, Any], by: str, now: datetime, effective_at: datetime | None
) -> dict[str, Any]:
    steps = {"create": _create, "change": _change, "merge": _merge}
    return steps[payload["action"]](u, payload, by, now, effective_at)


def _create(
    u: UnitOfWork, p: dict[str, Any], by: str, now: datetime, effective_at: datetime | None
) -> dict[str, Any]:
    code = p["code"]
    if u.departments.get(code) is not None:
        raise Conflict("dispatch.department_exists", field="code", code=code)
    if p.get("parent") and u.departments.get(p["parent"]) is None:
        raise Invalid("dispatch.unknown_department", field="parent", code=p["parent"])
    territory = list(p.get("territory") or [])
    _check_territory(u, code, territory)
    values = {k: p.get(k) for k in ("name", "kind", "parent", "duty_name")}
    u.departments.add({"code": code, **values})
    u.departments.set_territory(code, territory)
    u.departments.change(code, {}, by, now)
    after = u.departments.get(code)
    _audit(u, kind=KIND, key=code, action="create", by=by, at=now, after=after,
                  version=_version(after), summary=_summary(p),
                  effective_at=effective_at)  # fmt: skip
    return _shown(after)


def _change(
    u: UnitOfWork, p: dict[str, Any], by: str, now: datetime, effective_at: datetime | None
) -> dict[str, Any]:
    """Rename, territory, duty contact: whichever the payload names."""
    code = p["code"]
    before = _active(u, code)
    if "territory" in p:
        _check_territory(u, code, p["territory"])
        u.departments.set_territory(code, p["territory"])
    if any(f in p for f in NOTICE_FIELDS):
        channel, phone, url = (p.get(f, before[f]) for f in NOTICE_FIELDS)
        notices.change_settings(u, by, code, (channel, phone, url), now, effective_at)
    values: dict[str, Any] = {k: p[k] for k in ("name", "duty_name") if k in p}
    u.departments.change(code, values, by, now)
    after = u.departments.get(code)
    _audit(u, kind=KIND, key=code, action="change", by=by, at=now, before=before,
                  after=after, version=_version(after), summary=_summary(p),
                  effective_at=effective_at)  # fmt: skip
    return _shown(after)


def _merge(
    u: UnitOfWork, p: dict[str, Any], by: str, now: datetime, effective_at: datetime | None
) -> dict[str, Any]:
    """A into B: A's open assignments follow to B with their clocks, the rules naming A name
    B, A's territory becomes B's, and A is retired (readable, refusing new work)."""
    code, into = p["code"], p["into"]
    a, b = _mergeable(u, code, into)
    moved = [_hand_on(u, assignment_id, b, by, now) for assignment_id in
             u.departments.open_assignments(code)]  # fmt: skip
    rules = _repoint_rules(u, code, into, by, now, effective_at)
    u.departments.set_territory(code, [])
    u.departments.set_territory(into, [*b["territory"], *a["territory"]])
    u.departments.change(code, {"retired_at": now, "merged_into": into}, by, now)
    u.departments.change(into, {}, by, now)
    merged, grown = u.departments.get(code), u.departments.get(into)
    summary = f"{code} → {into}: {len(moved)} open assignments, {len(rules)} rules"
    _audit(u, kind=KIND, key=code, action="merge", by=by, at=now, before=a, after=merged,
                  version=_version(merged), summary=summary, effective_at=effective_at)  # fmt: skip
    _audit(u, kind=KIND, key=into, action="change", by=by, at=now, before=b, after=grown,
                  version=_version(grown), summary=summary, effective_at=effective_at)  # fmt: skip
    return {
        "code": code,
        "into": into,
        "moved": moved,
        "rules": rules,
        "department": _shown(merged),
    }


def _hand_on(
    u: UnitOfWork, assignment_id: str, into: dict[str, Any], by: str, now: datetime
) -> str:
    old = u.assignments.load(assignment_id, lock=True)
    assert old is not None  # listed in this transaction
    attempt = u.assignments.next_attempt(old.ticket_id, old.round)
    new = transfer(old, (into["code"], into["name"]), new_id(), attempt, by, now)
    u.assignments.save(old)
    u.assignments.add(new)
    u.departments.hand_on(old.id, new.id, new.department_code)
    publish(u, old, now)
    publish(u, new, now)
    return new.id


def _repoint_rules(
    u: UnitOfWork, code: str, into: str, by: str, now: datetime, effective_at: datetime | None
) -> list[str]:
    changed = []
    for rule in u.rules.ordered():
        new = repointed(rule, code, into)
        if new is None:
            continue
        before = u.rules.get(rule.id)
        assert before is not None
        u.rules.replace(new, str(before["note"]), by, now)
        after = u.rules.get(rule.id)
        u.rules.record_change(rule.id, "update", before, after, by, now)
        record_change(u, kind="routing_rule", key=rule.id, action="change", by=by, at=now,
                      before=before, after=after, summary=f"{code} → {into}",
                      effective_at=effective_at)  # fmt: skip
        changed.append(rule.id)
    return changed


def _mergeable(u: UnitOfWork, code: str, into: str) -> tuple[dict[str, Any], dict[str, Any]]:
    if code == into:
        raise Invalid("dispatch.merge_into_itself", field="into")
    if code == FALLBACK:
        raise Conflict("dispatch.fallback_department", code=code)
    return _active(u, code), _active(u, into, field="into")


def _active(u: UnitOfWork, code: str, field: str | None = None) -> dict[str, Any]:
    found = u.departments.get(code)
    if found is None:
        raise NotFound("dispatch.unknown_department", field=field, code=code)
    if found["retired_at"] is not None:
        raise Conflict("dispatch.department_retired", field=field, code=code,
                       into=found["merged_into"])  # fmt: skip
    return found


def _check_territory(u: UnitOfWork, code: str, territory: list[str]) -> None:
    owners = u.departments.owners(territory)
    found = territory_problems(code, territory, owners)
    if found:
        raise Invalid.fields(
            [FieldError("territory", message, {"code": area}) for message, area in found]
        )


def _audit(u: UnitOfWork, **change: Any) -> None:
    """The change as an audit event, and in the department's history the page shows."""
    record_change(u, **change)
    fields = ("kind", "action", "before", "after", "by", "at", "effective_at")
    u.departments.log({"code": change["key"]} | {f: change.get(f) for f in fields})


def history(deps: DispatchContext, code: str | None, limit: int) -> list[dict[str, Any]]:
    with deps.uow() as u:
        return u.departments.history(code, limit)


def _version(record: dict[str, Any] | None) -> int | None:
    return None if record is None else int(record["version"])


def _shown(record: dict[str, Any] | None) -> dict[str, Any]:
    assert record is not None
    return record


def _summary(p: Mapping[str, Any]) -> str:
    named = ", ".join(f"{k}={v}" for k, v in p.items() if k not in ("action", "code"))
    return f"{p['action']} {p['code']}: {named}"[:500]
