"""Departments, categories and routing rules in the database: seeded from the shipped files,
then edited by admins. Each instance caches the Router and reloads it when the rules'
version row changes, so an edit on one instance reaches all of them."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from services.common.db import upsert
from services.dispatch.adapters import seed
from services.dispatch.adapters.orm import (
    categories,
    department_areas,
    departments,
    routing_rules,
    versions,
)
from services.dispatch.adapters.repository import changed
from services.dispatch.domain.routing import Department, Router, Rule
from services.dispatch.handlers.ports import Rules

RULES_VERSION = "rules"

# Built once, so SQLAlchemy's compiled cache is hit on every event instead of compiling anew.
# Departments that take work (a merged one is retired), one row per code of their territory.
_DEPARTMENTS = (
    select(departments.c.code, departments.c.name, departments.c.kind, department_areas.c.area)
    .join(department_areas, department_areas.c.department_code == departments.c.code, isouter=True)
    .where(departments.c.retired_at.is_(None))
    .order_by(departments.c.code, department_areas.c.area)
)
_RULES = select(routing_rules).order_by(routing_rules.c.position, routing_rules.c.id)


def seed_database(session: Session, now: datetime) -> None:
    """Adds departments and categories the files have and the database lacks (renames
    follow the files unless an admin edited the department); the rules only when there are
    none yet, so admins' edits stay. A new department's area starts its territory."""
    parents = seed.department_parents()
    known = {r.code: r for r in session.execute(select(departments))}
    taken = set(session.scalars(select(department_areas.c.area)))
    for d in seed.load_departments():
        values = {"name": d.name, "kind": d.kind, "parent": parents.get(d.code)}
        if d.code not in known:
            area = d.area if d.area not in taken else None
            session.execute(insert(departments).values(code=d.code, area=area, **values))
            if area:
                session.execute(insert(department_areas).values(area=area, department_code=d.code))
                taken.add(area)
        elif known[d.code].edited_by is None and any(
            getattr(known[d.code], k) != v for k, v in values.items()
        ):
            session.execute(update(departments).where(departments.c.code == d.code).values(values))
    learn_categories(session, seed.load_categories(), "seed")
    if not session.execute(select(func.count()).select_from(routing_rules)).scalar():
        notes = seed.rule_notes()
        for position, rule in enumerate(seed.load_rules()):
            session.execute(insert(routing_rules).values(rule_values(rule, position, "seed", now)))
            if notes.get(rule.id):
                session.execute(
                    update(routing_rules)
                    .where(routing_rules.c.id == rule.id)
                    .values(note=notes[rule.id])
                )
    bump_rules_version(session)


def rule_values(rule: Rule, position: int, by: str, now: datetime) -> dict[str, Any]:
    return {
        "id": rule.id,
        "position": position,
        "category": rule.category,
        "area": rule.area,
        "department": rule.department,
        "co": json.dumps(list(rule.co)),
        "updated_by": by,
        "updated_at": now,
    }


def rule_of(row: Any) -> Rule:
    return Rule(row.id, row.department, row.category, row.area, tuple(json.loads(row.co)))


@cache
def _add_new_categories(dialect: str) -> Any:
    return upsert(dialect, categories).on_conflict_do_nothing(index_elements=[categories.c.code])


def learn_categories(session: Session, found: dict[str, str], source: str) -> None:
    """Adds category codes not seen before; existing names are kept. One statement, no
    read first, so two consumers learning the same new code do not collide."""
    if found:
        stmt = _add_new_categories(session.get_bind().dialect.name)
        session.execute(stmt, [{"code": c, "name": n, "source": source} for c, n in found.items()])


def bump_rules_version(session: Session) -> None:
    done = session.execute(
        update(versions).where(versions.c.name == RULES_VERSION).values(value=versions.c.value + 1)
    )
    if changed(done) == 0:
        session.execute(insert(versions).values(name=RULES_VERSION, value=1))


def all_departments(session: Session) -> list[Department]:
    rows = session.execute(_DEPARTMENTS)
    return [Department(r.code, r.name, r.kind, r.area) for r in rows]


def ordered_rules(session: Session) -> list[Rule]:
    return [rule_of(r) for r in session.execute(_RULES)]


class Directory:
    """Hands out the current Router, rebuilt only when the rules' version moved."""

    def __init__(self) -> None:
        self._router: Router | None = None
        self._version = -1

    def router(self, rules: Rules) -> Router:
        version = rules.version()
        if self._router is None or version != self._version:
            self._router = Router(rules.departments(), rules.ordered(), fallback=seed.FALLBACK)
            self._version = version
        return self._router
