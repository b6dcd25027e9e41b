"""Search use cases that change state: fold an event into the ticket's document and index it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from proto.envelope import Envelope, Event
from services.common.db import UnitOfWork
from services.search.adapters import labels as label_names
from services.search.adapters.index import SearchIndex
from services.search.adapters.orm import documents
from services.search.domain.projection import apply

# Built once, so SQLAlchemy's compiled cache is hit for every event.
_READ = (
    select(documents.c.doc)
    .where(documents.c.ticket_id == bindparam("b_ticket_id"))
    .with_for_update()  # two instances folding one ticket's events must not interleave
)
_INSERT = insert(documents)
_UPDATE = update(documents).where(documents.c.ticket_id == bindparam("b_ticket_id"))

# Where a transaction keeps the documents it changed until it commits (`Session.info`).
_CHANGED = "search.changed_documents"


@dataclass
class _Changed:
    doc: dict[str, Any]
    stored: bool  # the table has a row for the ticket already (UPDATE, not INSERT)


def on_event(
    index: SearchIndex,
    names: label_names.LabelStore,
    uow: UnitOfWork,
    envelope: Envelope,
    event: Event,
) -> None:
    """Folds the event into the ticket's document. A batch of events is one transaction:
    each ticket's document is read once, folded in memory by all of its events, and
    written once, to the table and (in one bulk write for the batch) to the index, just
    before the transaction commits. If the process dies in between, the events are
    redelivered, fold into the same stored documents again and are indexed again."""
    changed = _changed(uow, index, names)
    ticket_id = envelope.ticket_id
    known = changed.get(ticket_id)
    if known is None:
        row = uow.session.execute(_READ, {"b_ticket_id": ticket_id}).first()
        known = _Changed(row.doc, True) if row else None
    before = known.doc if known else None
    after = apply(before, envelope, event, datetime.now(UTC))
    if after != before:
        changed[ticket_id] = _Changed(after, known is not None and known.stored)


def _changed(
    uow: UnitOfWork, index: SearchIndex, names: label_names.LabelStore
) -> dict[str, _Changed]:
    info = uow.session.info
    if _CHANGED not in info:
        info[_CHANGED] = {}
        uow.before_commit.append(lambda: _write(uow.session, index, names, info.pop(_CHANGED)))
    changed: dict[str, _Changed] = info[_CHANGED]
    return changed


def _write(
    session: Session,
    index: SearchIndex,
    names: label_names.LabelStore,
    changed: dict[str, _Changed],
) -> None:
    now = datetime.now(UTC)
    items = changed.items()
    new = [{"ticket_id": t, "doc": c.doc, "updated_at": now} for t, c in items if not c.stored]
    old = [{"b_ticket_id": t, "doc": c.doc, "updated_at": now} for t, c in items if c.stored]
    if new:
        session.execute(_INSERT, new)
    if old:
        session.execute(_UPDATE, old)
    docs = [c.doc for c in changed.values()]
    names.remember(session, [x for doc in docs for x in label_names.of_document(doc)])
    index.put_many(docs)
