"""Routing rules, departments and categories in SQL, with the change log of the rules."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from services.common.audit import plain
from services.dispatch.adapters import directory
from services.dispatch.adapters.directory import rule_values
from services.dispatch.adapters.orm import categories, routing_rules, rule_changes, versions
from services.dispatch.domain.routing import Department, Rule

LAST = 10**6

# Built once, so SQLAlchemy's compiled cache is hit; in an UPDATE the parameters' other keys
# make the SET clause.
_GET = select(routing_rules).where(routing_rules.c.id == bindparam("b_id"))
_ADD = insert(routing_rules)
_REPLACE = update(routing_rules).where(routing_rules.c.id == bindparam("b_id"))
_REMOVE = delete(routing_rules).where(routing_rules.c.id == bindparam("b_id"))
_ORDER = select(routing_rules.c.id).order_by(routing_rules.c.position, routing_rules.c.id)
_PLACE = update(routing_rules).where(routing_rules.c.id == bindparam("b_id"))
_LOG = insert(rule_changes)
_CATEGORY_CODES = select(categories.c.code)
_VERSION = select(versions.c.value).where(versions.c.name == directory.RULES_VERSION)


class SqlRules:
    def __init__(self, session: Session):
        self._session = session

    def get(self, rule_id: str) -> Mapping[str, Any] | None:
        row = self._session.execute(_GET, {"b_id": rule_id}).first()
        return None if row is None else dict(row._mapping) | {"co": json.loads(row.co)}

    def add(self, rule: Rule, note: str, by: str, now: datetime) -> None:
        self._session.execute(_ADD, rule_values(rule, LAST, by, now) | {"note": note})

    def replace(self, rule: Rule, note: str, by: str, now: datetime) -> None:
        values = rule_values(rule, LAST, by, now) | {"note": note}
        del values["position"]  # it keeps its place
        self._session.execute(_REPLACE, values | {"b_id": rule.id})

    def remove(self, rule_id: str) -> None:
        self._session.execute(_REMOVE, {"b_id": rule_id})

    def order(self) -> list[str]:
        return list(self._session.scalars(_ORDER))

    def place(self, ids: Sequence[str]) -> None:
        rows = [{"b_id": rule_id, "position": index} for index, rule_id in enumerate(ids)]
        if rows:  # one executemany
            self._session.execute(_PLACE, rows)

    def record_change(
        self,
        rule_id: str,
        action: str,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
        by: str,
        now: datetime,
    ) -> None:
        row = {"before": _dump(before), "after": _dump(after), "by": by, "at": now}
        self._session.execute(_LOG, row | {"rule_id": rule_id, "action": action})
        directory.bump_rules_version(self._session)

    def version(self) -> int:
        return self._session.execute(_VERSION).scalar() or 0

    def ordered(self) -> list[Rule]:
        return directory.ordered_rules(self._session)

    def departments(self) -> list[Department]:
        return directory.all_departments(self._session)

    def category_codes(self) -> set[str]:
        return set(self._session.scalars(_CATEGORY_CODES))

    def learn_categories(self, found: Mapping[str, str], source: str) -> None:
        directory.learn_categories(self._session, dict(found), source)


def _dump(stored: Mapping[str, Any] | None) -> str | None:
    if stored is None:
        return None
    return json.dumps(plain(stored), ensure_ascii=False)


def rule_history(session: Session, rule_id: str | None, limit: int) -> list[dict[str, Any]]:
    """The rules' change log, newest first: before and after as the API shows a rule."""
    query = select(rule_changes).order_by(rule_changes.c.id.desc()).limit(limit)
    if rule_id is not None:
        query = query.where(rule_changes.c.rule_id == rule_id)
    return [
        dict(r._mapping) | {"before": _load(r.before), "after": _load(r.after)}
        for r in session.execute(query)
    ]


def _load(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    record: dict[str, Any] = json.loads(text)
    # Older entries kept every value as text.
    if isinstance(record.get("co"), str):
        record["co"] = json.loads(record["co"])
    if isinstance(record.get("position"), str) and record["position"].isdigit():
        record["position"] = int(record["position"])
    for name in ("category", "area"):
        if record.get(name) == "None":
            record[name] = None
    return record
