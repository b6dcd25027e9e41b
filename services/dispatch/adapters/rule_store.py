"""Routing rules, departments and categories in SQL, with the change log of the rules."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

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
        return None if row is None else dict(row._mapping)

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
    return json.dumps({k: str(v) for k, v in stored.items()}, ensure_ascii=False)
