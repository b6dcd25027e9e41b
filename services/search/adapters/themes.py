"""Themes, their tasks and notes in search's database (tables in `orm`), reached by the
themes use cases through the `Themes` port."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from services.common.db import UnitOfWork
from services.search.adapters.orm import theme_notes, theme_tasks, themes
from services.search.domain.themes import Task


class ThemeStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_theme(self, row: dict[str, Any]) -> None:
        self.session.execute(insert(themes).values(**row))

    def theme(self, theme_id: str) -> dict[str, Any] | None:
        found = (
            self.session.execute(select(themes).where(themes.c.id == theme_id)).mappings().first()
        )
        return dict(found) if found else None

    def listed(self, status: str | None, limit: int) -> list[dict[str, Any]]:
        query = select(themes).order_by(themes.c.starts_on.desc(), themes.c.id).limit(limit)
        if status:
            query = query.where(themes.c.status == status)
        return [dict(row) for row in self.session.execute(query).mappings()]

    def set_status(self, theme_id: str, status: str) -> None:
        self.session.execute(update(themes).where(themes.c.id == theme_id).values(status=status))

    def add_task(self, row: dict[str, Any]) -> None:
        self.session.execute(insert(theme_tasks).values(**row))

    def tasks(self, theme_ids: Iterable[str]) -> dict[str, list[Task]]:
        """Each theme's tasks, by due date."""
        query = (
            select(theme_tasks)
            .where(theme_tasks.c.theme_id.in_(list(theme_ids)))
            .order_by(theme_tasks.c.due_on, theme_tasks.c.created_at, theme_tasks.c.id)
        )
        found: dict[str, list[Task]] = {}
        for row in self.session.execute(query).mappings():
            task = Task(
                row["id"], row["department_code"], row["title"], row["due_on"], row["done"],
                row["done_by"], row["done_at"],
            )  # fmt: skip
            found.setdefault(row["theme_id"], []).append(task)
        return found

    def mark_task(self, theme_id: str, task_id: str, done: bool, by: str, at: datetime) -> bool:
        """Marks a task done (who, when) or not; False when the theme has no such task."""
        values = {"done": done, "done_by": by if done else None, "done_at": at if done else None}
        changed = self.session.execute(
            update(theme_tasks)
            .where(theme_tasks.c.id == task_id, theme_tasks.c.theme_id == theme_id)
            .values(**values)
        )
        return bool(changed.rowcount)  # type: ignore[attr-defined]

    def add_note(self, row: dict[str, Any]) -> None:
        self.session.execute(insert(theme_notes).values(**row))

    def notes(self, theme_id: str) -> list[dict[str, Any]]:
        query = (
            select(theme_notes.c.id, theme_notes.c.text, theme_notes.c.by, theme_notes.c.at)
            .where(theme_notes.c.theme_id == theme_id)
            .order_by(theme_notes.c.at, theme_notes.c.id)
        )
        return [dict(row) for row in self.session.execute(query).mappings()]


def theme_stores(
    sessions: Callable[[], Session], changes: Callable[[], UnitOfWork]
) -> tuple[
    Callable[[], AbstractContextManager[ThemeStore]],
    Callable[[], AbstractContextManager[ThemeStore]],
]:
    """Reading the themes, and changing them in one transaction that an Idempotency-Key
    joins (services.common.db)."""

    @contextmanager
    def read() -> Iterator[ThemeStore]:
        with sessions() as session:
            yield ThemeStore(session)

    @contextmanager
    def change() -> Iterator[ThemeStore]:
        with changes() as uow:
            yield ThemeStore(uow.session)
            uow.commit()

    return read, change
