"""Admins edit the SLA policies (time limits) and which categories take which: every change
versioned and audited with before and after, at once or from a date. A new limit applies
to clocks started afterwards; running clocks keep the deadlines they were given.

A change travels as one payload (what the API was asked), so the scheduled path applies
exactly what the immediate path would: `subject` policy (a whole policy, created or
replaced) or category (a prefix's policy set, or removed with `action` delete)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.common import scheduled
from services.common.audit import record_change
from services.common.auth import Principal
from services.common.errors import FieldError, Invalid, NotFound
from services.dispatch.adapters.orm import scheduled_changes
from services.dispatch.domain.sla import ANY_URGENCY, CLOCKS, Policy, limit_problems
from services.dispatch.handlers.context import DispatchContext
from services.dispatch.handlers.ports import UnitOfWork

KIND = "sla_policy"
Payload = Mapping[str, Any]


def change(
    deps: DispatchContext, user: Principal, payload: Payload, effective_at: datetime | None
) -> dict[str, Any] | scheduled.ScheduledRead | None:
    """Applies the change now (returns the record after it, None once removed) or keeps it
    for `effective_at` (returns the scheduled change); refused whole when it does not fit."""
    now = deps.now()
    at = scheduled.when(effective_at, now)
    with deps.uow() as u:
        if at is None:
            result: Any = _apply(u, payload, user.username, now, None)
        else:
            _validate(u, payload)
            result = scheduled.schedule(
                u,
                scheduled_changes,
                kind=KIND,
                key=key_of(payload),
                payload=payload,
                effective_at=at,
                by=user,
                now=now,
                summary=summary_of(payload),
            )
        u.commit()
    refresh(deps)
    return result


def apply_scheduled(
    deps: DispatchContext, u: UnitOfWork, payload: Payload, by: Principal, effective_at: datetime
) -> None:
    """The scheduled path, inside the worker's transaction (it commits)."""
    _apply(u, payload, by.username, deps.now(), effective_at)


def refresh(deps: DispatchContext) -> int:
    """Reloads this instance's policies if any instance changed them (a worker's step)."""
    with deps.uow() as u:
        deps.policy_book(u)
    return 0


def overview(deps: DispatchContext) -> dict[str, Any]:
    with deps.uow() as u:
        return {
            "version": u.sla.version(),
            "policies": u.sla.policies(),
            "categories": u.sla.mappings(),
        }


def history(deps: DispatchContext, limit: int) -> list[dict[str, Any]]:
    with deps.uow() as u:
        return u.sla.changes(limit)


def key_of(payload: Payload) -> str:
    """The audit key: a policy's name, or `category:<prefix>` (`:<urgency>` when the
    category's policy is for one urgency only)."""
    if payload["subject"] == "policy":
        return str(payload["name"])
    urgency = _urgency(payload)
    return f"category:{payload['prefix']}" + (f":{urgency}" if urgency else "")


def _urgency(payload: Payload) -> str:
    return str(payload.get("urgency") or ANY_URGENCY)


def summary_of(payload: Payload) -> str:
    if payload["subject"] == "policy":
        limits = "，".join(f"{c} {payload[c]['hours']}h {payload[c]['time']}" for c in CLOCKS)
        return f"时限政策 {payload['name']}：{limits}"
    which = f"类别 {payload['prefix']}" + (f"（{_urgency(payload)}）" if _urgency(payload) else "")
    if payload.get("action") == "delete":
        return f"{which} 不再单独设定时限政策"
    return f"{which} → 时限政策 {payload['policy']}"


def policy_of(payload: Payload) -> Policy:
    return Policy(
        str(payload["name"]),
        {c: payload[c]["time"] for c in CLOCKS},
        {c: float(payload[c]["hours"]) for c in CLOCKS},
        float(payload["warn_share"]),
        float(payload["max_extension_hours"]),
    )


def _validate(u: UnitOfWork, payload: Payload) -> None:
    if payload["subject"] == "policy":
        policy = policy_of(payload)
        late = limit_problems(policy.hours, policy.bases)
        if late:
            raise Invalid.fields(
                [FieldError(f"{c}.hours", "dispatch.sla_limit_order") for c in late]
            )
        return
    prefix = str(payload["prefix"])
    if payload.get("action") == "delete":
        if u.sla.mapping(prefix, _urgency(payload)) is None:
            raise NotFound("dispatch.sla_category_not_mapped", code=prefix)
        return
    if prefix not in u.rules.category_codes():
        raise Invalid("dispatch.sla_unknown_category", field="prefix", code=prefix)
    if u.sla.policy(str(payload["policy"])) is None:
        raise Invalid("dispatch.sla_unknown_policy", field="policy", name=payload["policy"])


def _apply(
    u: UnitOfWork, payload: Payload, by: str, now: datetime, effective_at: datetime | None
) -> dict[str, Any] | None:
    """Validates, stores, versions and audits one change; returns the record after it."""
    _validate(u, payload)
    if payload["subject"] == "policy":
        subject, key = "policy", str(payload["name"])
        before = u.sla.policy(key)
        u.sla.put_policy(policy_of(payload), by, now)
        after = u.sla.policy(key)
    else:
        subject, key, urgency = "category", str(payload["prefix"]), _urgency(payload)
        before = u.sla.mapping(key, urgency)
        if payload.get("action") == "delete":
            u.sla.remove_mapping(key, urgency)
        else:
            u.sla.put_mapping(key, urgency, str(payload["policy"]), by, now)
        after = u.sla.mapping(key, urgency)
        key += f":{urgency}" if urgency else ""
    action = "create" if before is None else "delete" if after is None else "change"
    entry = {"subject": subject, "key": key, "action": action, "before": before, "after": after}
    version = u.sla.record(entry | {"by": by, "at": now, "effective_at": effective_at})
    record_change(
        u,
        kind=KIND,
        key=key_of(payload),
        action=action,
        by=by,
        at=now,
        before=before,
        after=after,
        version=version,
        summary=summary_of(payload),
        effective_at=effective_at,
    )
    return after
