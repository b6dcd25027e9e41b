"""What the search use cases need from storage, reached through the unit of work.

The SQL versions live in services/search/adapters/; tests use in-memory ones."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

from services.common.ports import Transaction
from services.search.domain.alarms import Reading
from services.search.domain.themes import Task

Doc = dict[str, Any]


class Documents(Protocol):
    """Each ticket's folded document. A transaction reads a ticket's document once, keeps
    what it folds in memory (`stage`) and writes them all at once (`write`)."""

    def load(self, ticket_id: str) -> Doc | None:
        """The staged document, else the stored one, locked until the transaction ends
        (two instances folding one ticket's events must not interleave)."""

    def stage(self, ticket_id: str, doc: Doc) -> None: ...

    def staged(self) -> bool: ...

    def write(self, now: datetime) -> list[Doc]:
        """Stores the staged documents (one bulk insert, one bulk update) and the names of
        the labels they carry; returns them."""


class Index(Protocol):
    """The part of the search index (services/search/adapters/index.py) folding writes to."""

    def put_many(self, docs: Iterable[Mapping[str, Any]]) -> int:
        """One bulk write; returns how many documents it wrote."""


class Spots(Protocol):
    """Hot spots a folded ticket touched, for the alarm worker to score again."""

    def touch(self, key: str, at: datetime) -> None: ...


class UnitOfWork(Transaction, Protocol):
    @property
    def documents(self) -> Documents: ...

    @property
    def spots(self) -> Spots: ...

    # Work done inside the transaction just before it commits.
    before_commit: list[Callable[[], None]]


class Themes(Protocol):
    """Monthly themes with their tasks and progress notes (rows as dicts)."""

    def add_theme(self, row: dict[str, Any]) -> None: ...

    def theme(self, theme_id: str) -> dict[str, Any] | None: ...

    def listed(self, status: str | None, limit: int) -> list[dict[str, Any]]:
        """Newest first; every status when `status` is None."""

    def set_status(self, theme_id: str, status: str) -> None: ...

    def add_task(self, row: dict[str, Any]) -> None: ...

    def tasks(self, theme_ids: Iterable[str]) -> dict[str, list[Task]]:
        """Each theme's tasks, by due date."""

    def mark_task(self, theme_id: str, task_id: str, done: bool, by: str, at: datetime) -> bool:
        """False when the theme has no such task."""

    def add_note(self, row: dict[str, Any]) -> None: ...

    def notes(self, theme_id: str) -> list[dict[str, Any]]: ...


class Alarms(Protocol):
    """Hot-spot alarms and the spots touched since they were last looked at
    (services/search/adapters/alarms.py)."""

    def pending(self, limit: int) -> dict[str, datetime]:
        """Touched spots → since when, oldest first, locked for this transaction."""

    def done(self, seen: Mapping[str, datetime]) -> None:
        """Forgets the spots looked at, unless touched again since."""

    def open(self) -> list[dict[str, Any]]: ...

    def raise_(self, reading: Reading, at: datetime, new_id: Callable[[], str]) -> str | None:
        """The new alarm's id; None when another instance raised this crossing first."""

    def clear(self, alarm_id: str, reading: Reading, at: datetime) -> bool: ...

    def get(self, alarm_id: str) -> dict[str, Any] | None: ...

    def acknowledge(self, alarm_id: str, by: str, at: datetime) -> bool: ...


class AlarmTransaction(Transaction, Protocol):
    @property
    def alarms(self) -> Alarms: ...
