"""An in-memory search unit of work and index, for unit tests of folding without a database."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from proto.envelope import Envelope, Event
from services.search.handlers.ports import Doc


class MemoryDocuments:
    def __init__(self, stored: dict[str, Doc]):
        self.stored = stored
        self.staged_docs: dict[str, Doc] = {}
        self.reads: list[str] = []
        self.writes = 0

    def load(self, ticket_id: str) -> Doc | None:
        if ticket_id in self.staged_docs:
            return self.staged_docs[ticket_id]
        self.reads.append(ticket_id)
        return copy.deepcopy(self.stored.get(ticket_id))

    def stage(self, ticket_id: str, doc: Doc) -> None:
        self.staged_docs[ticket_id] = doc

    def staged(self) -> bool:
        return bool(self.staged_docs)

    def write(self, now: datetime) -> list[Doc]:
        self.writes += 1
        self.stored.update(copy.deepcopy(self.staged_docs))
        docs, self.staged_docs = list(self.staged_docs.values()), {}
        return docs


class MemorySpots:
    """The hot spots folding touched, in order (kept across transactions: a test reads them)."""

    def __init__(self) -> None:
        self.touched: list[str] = []

    def touch(self, key: str, at: datetime) -> None:
        self.touched.append(key)


class MemoryIndex:
    def __init__(self) -> None:
        self.docs: dict[str, Mapping[str, Any]] = {}
        self.bulk_writes = 0

    def put_many(self, docs: Iterable[Mapping[str, Any]]) -> int:
        self.bulk_writes += 1
        written = {doc["ticket_id"]: doc for doc in docs}
        self.docs.update(written)
        return len(written)


class MemoryUnitOfWork:
    """Satisfies services.search.handlers.ports.UnitOfWork; `stored` is what is committed."""

    def __init__(self) -> None:
        self.stored: dict[str, Doc] = {}
        self.before_commit: list[Callable[[], None]] = []
        self.published: list[Envelope] = []
        self.spots = MemorySpots()

    def __enter__(self) -> Self:
        self.documents = MemoryDocuments(copy.deepcopy(self.stored))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.before_commit.clear()

    def commit(self) -> None:
        for hook in self.before_commit:
            hook()
        self.before_commit.clear()
        self.stored = self.documents.stored

    def publish(self, event: Event, *, ticket_id: str, occurred_at: Any = None) -> Envelope:
        envelope = Envelope.wrap(event, producer="search", ticket_id=ticket_id)
        self.published.append(envelope)
        return envelope

    def publish_all(
        self, events: Sequence[tuple[Event, str]], *, occurred_at: Any = None
    ) -> list[Envelope]:
        return [self.publish(event, ticket_id=ticket_id) for event, ticket_id in events]
