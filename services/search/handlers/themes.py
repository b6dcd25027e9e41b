"""Monthly themes: create (from a hot spot or by hand), tasks, progress notes, and the views
leaders read — a theme with its before/after chart, the list, the dashboard's panel. Each
change is one transaction; the figures come from the index through the dashboard's own
counting (see `domain.themes`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from proto.envelope import new_id
from proto.rates import Weights
from services.common.errors import FieldError, Invalid, NotFound
from services.search.adapters.index import TIME_ZONE, DateRange, Histogram, SearchRequest
from services.search.domain import rates
from services.search.domain import themes as domain
from services.search.domain.themes import ProblemClass
from services.search.handlers.context import SearchContext
from services.search.handlers.ports import Themes

# The themes as they stand (`read`), or one change that commits when its block ends (`change`).
Opened = Callable[[], AbstractContextManager[Themes]]

PANEL_SIZE = 20


@dataclass(frozen=True)
class NewTheme:
    title: str
    problem: ProblemClass
    lead_department: str
    co_departments: tuple[str, ...]
    starts_on: date | None
    source: str


class ThemeBook:
    def __init__(
        self,
        reader: SearchContext,
        read: Opened,
        change: Opened,
        weights: Weights,
    ) -> None:
        self.reader = reader
        self._read = read
        self._change = change
        self.weights = weights

    def create(self, new: NewTheme, by: str, now: datetime) -> dict[str, Any]:
        problems = new.problem.problems()
        if problems:
            raise Invalid.fields([FieldError(f, f"search.{key}") for f, key in problems])
        if new.lead_department in new.co_departments:
            raise Invalid("search.theme_lead_is_co", field="co_departments")
        theme_id = new_id()
        row = {
            "id": theme_id,
            "title": new.title,
            "category_code": new.problem.category_code,
            "area_codes": list(new.problem.area_codes),
            "lead_department": new.lead_department,
            "co_departments": list(new.co_departments),
            "starts_on": new.starts_on or _today(now),
            "source": new.source,
            "status": "active",
            "created_by": by,
            "created_at": now,
        }
        with self._change() as themes:
            themes.add_theme(row)
        return self.view(theme_id, now)

    def add_task(
        self, theme_id: str, department: str, title: str, due_on: date, by: str, now: datetime
    ) -> dict[str, Any]:
        row = {
            "id": new_id(), "theme_id": theme_id, "department_code": department,
            "title": title, "due_on": due_on, "done": False, "created_by": by, "created_at": now,
        }  # fmt: skip
        with self._change() as themes:
            self._found(themes, theme_id)
            themes.add_task(row)
        return self.view(theme_id, now)

    def mark_task(
        self, theme_id: str, task_id: str, done: bool, by: str, now: datetime
    ) -> dict[str, Any]:
        with self._change() as themes:
            self._found(themes, theme_id)
            if not themes.mark_task(theme_id, task_id, done, by, now):
                raise NotFound("search.theme_task_not_found", id=task_id)
        return self.view(theme_id, now)

    def add_note(self, theme_id: str, text: str, by: str, now: datetime) -> dict[str, Any]:
        row = {"id": new_id(), "theme_id": theme_id, "text": text, "by": by, "at": now}
        with self._change() as themes:
            self._found(themes, theme_id)
            themes.add_note(row)
        return self.view(theme_id, now)

    def set_status(self, theme_id: str, status: str, now: datetime) -> dict[str, Any]:
        with self._change() as themes:
            self._found(themes, theme_id)
            themes.set_status(theme_id, status)
        return self.view(theme_id, now)

    def view(self, theme_id: str, now: datetime) -> dict[str, Any]:
        """The theme with its tasks, notes, progress and before/after chart."""
        with self._read() as themes:
            row = self._found(themes, theme_id)
            tasks = themes.tasks([theme_id]).get(theme_id, [])
            notes = themes.notes(theme_id)
        today = _today(now)
        chart = self._chart(row, today)
        return {
            **self._summary(row, tasks, chart["phases"], today),
            "tasks": [_task(t, today) for t in tasks],
            "notes": notes,
            "chart": chart,
        }

    def listing(self, status: str | None, now: datetime, limit: int = 100) -> list[dict[str, Any]]:
        """Themes newest first, each with its progress and volume change."""
        with self._read() as themes:
            rows = themes.listed(status, limit)
            tasks = themes.tasks([r["id"] for r in rows])
        today = _today(now)
        return [
            self._summary(r, tasks.get(r["id"], []), self._chart(r, today)["phases"], today)
            for r in rows
        ]

    def panel(self, now: datetime) -> list[dict[str, Any]]:
        """The dashboard's panel: active themes with their progress."""
        return self.listing("active", now, PANEL_SIZE)

    def _found(self, themes: Themes, theme_id: str) -> dict[str, Any]:
        row = themes.theme(theme_id)
        if row is None:
            raise NotFound("search.theme_not_found", id=theme_id)
        return row

    def _summary(
        self, row: dict[str, Any], tasks: Sequence[domain.Task], phases: Any, today: date
    ) -> dict[str, Any]:
        names = self.reader.names
        departments = [row["lead_department"], *row["co_departments"]]
        return {
            **row,
            "starts_on": row["starts_on"].isoformat(),
            "created_at": row["created_at"].isoformat(),
            "category_name": names("category_code", [row["category_code"]]).get(
                row["category_code"]
            ),
            "area_names": names("area_code", row["area_codes"]),
            "department_names": names("department_code", departments),
            "progress": domain.progress(tasks, today),
            "volume": {
                "before_weekly": phases["before"]["weekly"],
                "since_weekly": phases["since"]["weekly"],
                "change": domain.volume_change(
                    phases["before"]["weekly"], phases["since"]["weekly"]
                ),
            },
        }

    def _chart(self, row: dict[str, Any], today: date) -> dict[str, Any]:
        problem = ProblemClass(row["category_code"], tuple(row["area_codes"]))
        listed = domain.weeks(row["starts_on"], today)
        first = datetime.combine(listed[0][0], datetime.min.time(), TIME_ZONE)
        filters = problem.filters()
        volume = {b.key: b.count for b in self._weekly(filters, "created_at", first, ())}
        rated = {b.key: b.sums for b in self._weekly(filters, "rated_at", first, rates.COUNTERS)}
        resolved = {
            b.key: b.sums for b in self._weekly(filters, "resolved_at", first, rates.SLA_COUNTERS)
        }
        rows = domain.chart(listed, volume, rated, resolved, self.weights)
        return {
            "weeks": rows,
            "phases": domain.phases(rows, rated, resolved, self.weights, today),
        }

    def _weekly(
        self, filters: dict[str, list[str]], field: str, first: datetime, sums: Sequence[str]
    ) -> list[Any]:
        request = SearchRequest(
            filters=filters,
            ranges={field: DateRange(first)},
            histogram=Histogram(field, "week"),
            sums=list(sums),
            limit=0,
        )
        return self.reader.run(request).histogram


def _today(now: datetime) -> date:
    return now.astimezone(TIME_ZONE).date()


def _task(task: domain.Task, today: date) -> dict[str, Any]:
    return {
        "id": task.id,
        "department_code": task.department_code,
        "title": task.title,
        "due_on": task.due_on.isoformat(),
        "done": task.done,
        "done_by": task.done_by,
        "done_at": task.done_at.isoformat() if task.done_at else None,
        "overdue": task.overdue(today),
    }
