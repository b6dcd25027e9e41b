"""What the search use cases need from storage, reached through the unit of work.

The SQL versions live in services/search/adapters/; tests use in-memory ones."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

from services.common.ports import Transaction

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


class UnitOfWork(Transaction, Protocol):
    @property
    def documents(self) -> Documents: ...

    # Work done inside the transaction just before it commits.
    before_commit: list[Callable[[], None]]
