"""SLA policies in SQL: seeded once from sla.toml, then edited by admins, every change kept
with its version, before and after; the version row tells every instance to reload."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from services.dispatch.adapters.orm import (
    categories,
    sla_categories,
    sla_changes,
    sla_policies,
    versions,
)
from services.dispatch.adapters.repository import changed
from services.dispatch.domain.sla import CLOCKS, Policy, PolicyBook, most_specific_first

SLA_VERSION = "sla"

_VERSION = select(versions.c.value).where(versions.c.name == SLA_VERSION)
_BUMP = update(versions).where(versions.c.name == SLA_VERSION).values(value=versions.c.value + 1)
_POLICY = select(sla_policies).where(sla_policies.c.name == bindparam("b_name"))
_POLICIES = select(sla_policies).order_by(sla_policies.c.name)
_MAPPING = select(sla_categories).where(
    sla_categories.c.prefix == bindparam("b_prefix"),
    sla_categories.c.urgency == bindparam("b_urgency"),
)
_MAPPINGS = select(sla_categories, categories.c.name.label("category_name")).outerjoin(
    categories, categories.c.code == sla_categories.c.prefix
)


def policy_record(row: Any) -> dict[str, Any]:
    """A policy as the API shows it: each limit with its hours and how it counts."""
    limits = {c: {"hours": row[f"{c}_hours"], "time": row[f"{c}_time"]} for c in CLOCKS}
    rest = ("name", "warn_share", "max_extension_hours", "updated_by", "updated_at")
    return {k: row[k] for k in rest} | limits


def policy_values(policy: Policy, by: str, now: datetime) -> dict[str, Any]:
    limits = {f"{c}_hours": policy.hours[c] for c in CLOCKS}
    bases = {f"{c}_time": policy.bases[c] for c in CLOCKS}
    return (
        limits
        | bases
        | {
            "warn_share": policy.warn_share,
            "max_extension_hours": policy.max_extension_hours,
            "updated_by": by,
            "updated_at": now,
        }
    )


def policy_of(row: Any) -> Policy:
    return Policy(
        row["name"],
        {c: row[f"{c}_time"] for c in CLOCKS},
        {c: row[f"{c}_hours"] for c in CLOCKS},
        row["warn_share"],
        row["max_extension_hours"],
    )


class SqlPolicies:
    def __init__(self, session: Session):
        self._session = session

    def version(self) -> int:
        return self._session.execute(_VERSION).scalar() or 0

    def book(self) -> PolicyBook:
        policies = {r.name: policy_of(r._mapping) for r in self._session.execute(_POLICIES)}
        rows = self._session.execute(select(sla_categories))
        mapped = {(r.prefix, r.urgency): r.policy for r in rows}
        return PolicyBook(policies, most_specific_first(mapped))

    def policies(self) -> list[dict[str, Any]]:
        return [policy_record(r._mapping) for r in self._session.execute(_POLICIES)]

    def policy(self, name: str) -> dict[str, Any] | None:
        row = self._session.execute(_POLICY, {"b_name": name}).first()
        return None if row is None else policy_record(row._mapping)

    def put_policy(self, policy: Policy, by: str, now: datetime) -> None:
        values = policy_values(policy, by, now)
        where = sla_policies.c.name == policy.name
        done = self._session.execute(update(sla_policies).where(where).values(values))
        if not changed(done):
            self._session.execute(insert(sla_policies).values(name=policy.name, **values))

    def mappings(self) -> list[dict[str, Any]]:
        order = (sla_categories.c.prefix, sla_categories.c.urgency)
        return [dict(r._mapping) for r in self._session.execute(_MAPPINGS.order_by(*order))]

    def mapping(self, prefix: str, urgency: str) -> dict[str, Any] | None:
        row = self._session.execute(_MAPPING, {"b_prefix": prefix, "b_urgency": urgency}).first()
        return None if row is None else dict(row._mapping)

    def put_mapping(self, prefix: str, urgency: str, policy: str, by: str, now: datetime) -> None:
        values = {"policy": policy, "updated_by": by, "updated_at": now}
        where = (sla_categories.c.prefix == prefix) & (sla_categories.c.urgency == urgency)
        done = self._session.execute(update(sla_categories).where(where).values(values))
        if not changed(done):
            row = {"prefix": prefix, "urgency": urgency, **values}
            self._session.execute(insert(sla_categories).values(row))

    def remove_mapping(self, prefix: str, urgency: str) -> None:
        where = (sla_categories.c.prefix == prefix) & (sla_categories.c.urgency == urgency)
        self._session.execute(delete(sla_categories).where(where))

    def record(self, change: dict[str, Any]) -> int:
        """Keeps the change under the next version and returns that version."""
        if not changed(self._session.execute(_BUMP)):
            self._session.execute(insert(versions).values(name=SLA_VERSION, value=1))
        version = self.version()
        row = change | {"before": _dump(change["before"]), "after": _dump(change["after"])}
        self._session.execute(insert(sla_changes).values(row | {"version": version}))
        return version

    def changes(self, limit: int) -> list[dict[str, Any]]:
        query = select(sla_changes).order_by(sla_changes.c.id.desc()).limit(limit)
        return [_change(r._mapping) for r in self._session.execute(query)]

    def seed(self, book: PolicyBook, now: datetime) -> bool:
        """The file's policies when the database has none yet (admins' edits then stay)."""
        if self._session.execute(select(func.count()).select_from(sla_policies)).scalar():
            return False
        for policy in book.policies.values():
            self.put_policy(policy, "seed", now)
        for prefix, urgency, name in book.by_category:
            self.put_mapping(prefix, urgency, name, "seed", now)
        after = {
            "policies": [self.policy(name) for name in sorted(book.policies)],
            "categories": [
                {"prefix": prefix, "urgency": urgency, "policy": name}
                for prefix, urgency, name in book.by_category
            ],
        }
        seeded = {"subject": "book", "key": "sla.toml", "action": "import", "before": None}
        self.record(seeded | {"after": after, "by": "seed", "at": now, "effective_at": None})
        return True


def _dump(record: dict[str, Any] | None) -> str | None:
    if record is None:
        return None
    return json.dumps(record, ensure_ascii=False, default=_iso)


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _change(row: Any) -> dict[str, Any]:
    loaded = {k: json.loads(row[k]) if row[k] else None for k in ("before", "after")}
    return dict(row) | loaded
