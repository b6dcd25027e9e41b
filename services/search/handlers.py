"""Search use cases that change state: fold an event into the ticket's document and index it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from proto.envelope import Envelope, Event
from services.common.db import UnitOfWork
from services.search.adapters import labels as label_names
from services.search.adapters.index import SearchIndex
from services.search.adapters.orm import documents
from services.search.domain.projection import apply


def fold(session: Session, table: Table, envelope: Envelope, event: Event) -> dict[str, Any] | None:
    """Folds the event into the ticket's row of `table` (created when missing); returns the
    new document, or None when the event was already in it. Never commits."""
    row = session.execute(
        select(table.c.doc)
        .where(table.c.ticket_id == envelope.ticket_id)
        .with_for_update()  # two instances folding one ticket's events must not interleave
    ).first()
    before = row.doc if row else None
    now = datetime.now(UTC)
    after = apply(before, envelope, event, now)
    if after == before:
        return None
    values = {"doc": after, "updated_at": now}
    if row is None:
        session.execute(insert(table).values(ticket_id=envelope.ticket_id, **values))
    else:
        session.execute(
            update(table).where(table.c.ticket_id == envelope.ticket_id).values(**values)
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
    if after is None:
        return
    names.remember(uow.session, label_names.of_document(after))
    index.put(after)
