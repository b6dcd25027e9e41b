"""Search use cases that change state: fold an event into the ticket's document and index it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    Insert,
    Select,
    Table,
    Update,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from proto.envelope import Envelope, Event
from services.common.db import UnitOfWork
from services.search.adapters import labels as label_names
from services.search.adapters.index import SearchIndex
from services.search.adapters.orm import documents
from services.search.domain.projection import apply

# Where a transaction keeps the documents it changed until it commits (`Session.info`).
_CHANGED = "search.changed_documents"


@dataclass(frozen=True)
class _Statements:
    read: Select[tuple[Any]]
    insert: Insert
    update: Update


@cache
def _statements(table: Table) -> _Statements:
    # Built once per table, so SQLAlchemy's compiled cache is hit for every event.
    ticket_id: BindParameter[str] = bindparam("b_ticket_id")
    return _Statements(
        # Two instances folding one ticket's events must not interleave.
        read=select(table.c.doc).where(table.c.ticket_id == ticket_id).with_for_update(),
        insert=insert(table),
        update=update(table).where(table.c.ticket_id == ticket_id),
    )


def fold(session: Session, table: Table, envelope: Envelope, event: Event) -> dict[str, Any] | None:
    """Folds the event into the ticket's row of `table` (created when missing); returns the
    new document, or None when the event was already in it. Never commits."""
    statements = _statements(table)
    ticket_id = envelope.ticket_id
    row = session.execute(statements.read, {"b_ticket_id": ticket_id}).first()
    before = row.doc if row else None
    now = datetime.now(UTC)
    after = apply(before, envelope, event, now)
    if after == before:
        return None
    if row is None:
        session.execute(
            statements.insert, {"ticket_id": ticket_id, "doc": after, "updated_at": now}
        )
    else:
        session.execute(
            statements.update, {"b_ticket_id": ticket_id, "doc": after, "updated_at": now}
        )
    return after


def on_event(
    index: SearchIndex,
    names: label_names.LabelStore,
    uow: UnitOfWork,
    envelope: Envelope,
    event: Event,
) -> None:
    """Indexes before the transaction commits: if the process dies in between, the event is
    redelivered, folds into the same stored document again and is indexed again."""
    after = fold(uow.session, documents, envelope, event)
    if after is not None:
        _changed(uow, index, names)[envelope.ticket_id] = after


def _changed(
    uow: UnitOfWork, index: SearchIndex, names: label_names.LabelStore
) -> dict[str, dict[str, Any]]:
    """The documents this transaction changed, by ticket. A batch of events is one
    transaction: each ticket's last document is indexed once, in one bulk write, and the
    names its facets need are stored once, just before the transaction commits."""
    info = uow.session.info
    if _CHANGED not in info:
        info[_CHANGED] = {}

        def write() -> None:
            docs = list(info.pop(_CHANGED).values())
            names.remember(uow.session, [x for doc in docs for x in label_names.of_document(doc)])
            index.put_many(docs)

        uow.before_commit.append(write)
    changed: dict[str, dict[str, Any]] = info[_CHANGED]
    return changed
