"""The audit log's use cases: keep each event of `hotline.audit` (the `search-audit`
consumer, idempotent through the inbox and the event id as key) and read the log, newest
first, with its filters and text search."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from typing import Any, Protocol

from proto.audit import ConfigurationChanged, PersonalDataAccessed
from proto.envelope import Envelope
from services.common.errors import NotFound
from services.common.ports import Transaction
from services.search.domain import audit as domain
from services.search.domain.audit import Filters, Position, Row


class Audit(Protocol):
    """The kept entries (rows as dicts)."""

    def keep(self, rows: Iterable[Row]) -> int:
        """Adds the entries not kept yet (by event id); returns how many it added."""

    def page(self, filters: Filters, after: Position | None, limit: int) -> tuple[list[Row], int]:
        """Newest first (ties by id), from just after `after`; with the count of all that
        match the filters."""

    def get(self, event_id: str) -> Row | None: ...


class AuditTransaction(Transaction, Protocol):
    @property
    def audit(self) -> Audit: ...


def on_event(
    uow: AuditTransaction,
    envelope: Envelope,
    event: ConfigurationChanged | PersonalDataAccessed,
) -> None:
    """Keeps the event as an entry; one already kept (a redelivery, a replay) adds nothing."""
    uow.audit.keep([domain.entry(envelope, event)])


class AuditLog:
    def __init__(self, read: Callable[[], AbstractContextManager[Audit]]) -> None:
        self._read = read

    def listing(self, filters: Filters, after: Position | None, limit: int) -> dict[str, Any]:
        """One page of entries, newest first; `next` continues after its last one (None on
        the last page)."""
        with self._read() as audit:
            rows, total = audit.page(filters, after, limit + 1)
        more, rows = len(rows) > limit, rows[:limit]
        last = rows[-1] if rows else None
        following = Position(last["at"], last["event_id"]).cursor() if more and last else None
        return {
            "total": total,
            "limit": limit,
            "entries": [domain.view(row) for row in rows],
            "next": following,
        }

    def entry(self, entry_id: str) -> dict[str, Any]:
        with self._read() as audit:
            row = audit.get(entry_id)
        if row is None:
            raise NotFound("search.audit_entry_not_found", id=entry_id)
        return domain.view(row)
