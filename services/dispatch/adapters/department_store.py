"""Departments as admins edit them, in SQL: the record with its territory and duty contact,
the open work a merge hands on, and the version routers reload by."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from services.common.audit import plain
from services.dispatch.adapters import directory
from services.dispatch.adapters.orm import (
    assignments,
    department_areas,
    department_changes,
    departments,
    extensions,
    supervisions,
)
from services.dispatch.domain.assignment import OPEN

_D, _AREA = departments.c, department_areas.c
# What the API shows of a department (and the audit log keeps before and after).
_SHOWN = (
    _D.code, _D.name, _D.kind, _D.parent, _D.duty_name, _D.notice_channel, _D.duty_phone,
    _D.webhook_url, _D.version, _D.retired_at, _D.merged_into, _D.edited_by, _D.edited_at,
)  # fmt: skip
_OPEN_COUNTS = (
    select(assignments.c.department_code, func.count())
    .where(assignments.c.status.in_(OPEN))
    .group_by(assignments.c.department_code)
)


class SqlDepartments:
    def __init__(self, session: Session):
        self._session = session

    def get(self, code: str) -> dict[str, Any] | None:
        row = self._session.execute(select(*_SHOWN).where(_D.code == code)).first()
        if row is None:
            return None
        return dict(row._mapping) | {"territory": self._territories([code]).get(code, [])}

    def overview(self) -> list[dict[str, Any]]:
        """Every department (retired ones last) with its territory and open assignments."""
        rows = self._session.execute(
            select(*_SHOWN).order_by(_D.retired_at.is_not(None), _D.kind, _D.code)
        )
        found = [dict(r._mapping) for r in rows]
        territories = self._territories(None)
        counts: dict[str, int] = dict(self._session.execute(_OPEN_COUNTS).all())
        for d in found:
            d["territory"] = territories.get(d["code"], [])
            d["open_assignments"] = int(counts.get(d["code"], 0))
        return found

    def owners(self, areas: Collection[str]) -> dict[str, str]:
        query = select(_AREA.area, _AREA.department_code).where(_AREA.area.in_(list(areas)))
        return dict(self._session.execute(query).all())

    def add(self, values: Mapping[str, Any]) -> None:
        self._session.execute(insert(departments).values(dict(values)))

    def change(self, code: str, values: Mapping[str, Any], by: str, now: datetime) -> None:
        """Writes `values`, moves the version and marks the row as an admin's (the seed no
        longer renames it); every router reloads."""
        stamp = {"version": _D.version + 1, "edited_by": by, "edited_at": now}
        self._session.execute(
            update(departments).where(_D.code == code).values({**values, **stamp})
        )
        directory.bump_rules_version(self._session)

    def set_territory(self, code: str, areas: Sequence[str]) -> None:
        """The department answers for exactly `areas` (none taken by another department)."""
        self._session.execute(delete(department_areas).where(_AREA.department_code == code))
        self._session.execute(update(departments).where(_D.code == code).values(area=None))
        rows = [{"area": a, "department_code": code} for a in sorted(set(areas))]
        if rows:
            self._session.execute(insert(department_areas), rows)
            first = rows[0]["area"]
            self._session.execute(update(departments).where(_D.code == code).values(area=first))

    def open_assignments(self, code: str) -> list[str]:
        query = select(assignments.c.id).where(
            assignments.c.department_code == code, assignments.c.status.in_(OPEN)
        )
        return list(self._session.scalars(query.order_by(assignments.c.dispatched_at)))

    def hand_on(self, old_id: str, new_id: str, code: str) -> None:
        """A pending extension request and an open supervision follow the work to its new
        assignment."""
        moved = {"assignment_id": new_id, "department_code": code}
        self._session.execute(
            update(extensions)
            .where(extensions.c.assignment_id == old_id, extensions.c.status == "pending")
            .values(moved)
        )
        self._session.execute(
            update(supervisions)
            .where(supervisions.c.assignment_id == old_id, supervisions.c.closed_at.is_(None))
            .values(moved)
        )

    def log(self, change: Mapping[str, Any]) -> None:
        """Keeps a change: code, kind, action, before, after, by, at, effective_at."""
        row = dict(change)
        for side in ("before", "after"):
            row[side] = _dump(row.get(side))
        self._session.execute(insert(department_changes).values(row))

    def history(self, code: str | None, limit: int) -> list[dict[str, Any]]:
        """Newest first."""
        query = select(department_changes).order_by(department_changes.c.id.desc()).limit(limit)
        if code is not None:
            query = query.where(department_changes.c.code == code)
        rows = [dict(r._mapping) for r in self._session.execute(query)]
        for row in rows:
            for side in ("before", "after"):
                row[side] = json.loads(row[side]) if row[side] else None
        return rows

    def _territories(self, codes: list[str] | None) -> dict[str, list[str]]:
        query = select(_AREA.department_code, _AREA.area).order_by(_AREA.area)
        if codes is not None:
            query = query.where(_AREA.department_code.in_(codes))
        found: dict[str, list[str]] = {}
        for code, area in self._session.execute(query):
            found.setdefault(code, []).append(area)
        return found


def _dump(record: Any) -> str | None:
    shown = plain(record)
    return None if shown is None else json.dumps(shown, ensure_ascii=False)
