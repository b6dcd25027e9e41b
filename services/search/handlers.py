"""Search use cases: fold an event into the ticket's document and index it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, select, update

from proto.envelope import Envelope, Event
from services.common.db import UnitOfWork
from services.search.adapters.index import SearchIndex
from services.search.adapters.orm import documents
from services.search.domain.projection import apply


def on_event(index: SearchIndex, uow: UnitOfWork, envelope: Envelope, event: Event) -> None:
    """Indexes before the transaction commits: if the process dies in between, the event is
    redelivered, folds into the same stored document again and is indexed again."""
    row = uow.session.execute(
        select(documents.c.doc)
        .where(documents.c.ticket_id == envelope.ticket_id)
        .with_for_update()  # two instances folding one ticket's events must not interleave
    ).first()
    before = row.doc if row else None
    now = datetime.now(UTC)
    after = apply(before, envelope, event, now)
    if after == before:
        return
    if row is None:
        uow.session.execute(
            insert(documents).values(ticket_id=envelope.ticket_id, doc=after, updated_at=now)
        )
    else:
        uow.session.execute(
            update(documents)
            .where(documents.c.ticket_id == envelope.ticket_id)
            .values(doc=after, updated_at=now)
        )
    index.put(after)
