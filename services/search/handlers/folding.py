"""Search use cases that change state: fold an event into the ticket's document and index it."""

from __future__ import annotations

from functools import partial

from proto.envelope import Envelope, Event
from services.common.clock import utcnow
from services.search.domain.projection import apply
from services.search.handlers.ports import Documents, Index, UnitOfWork


def on_event(index: Index, uow: UnitOfWork, envelope: Envelope, event: Event) -> None:
    """Folds the event into the ticket's document. A batch of events is one transaction:
    each ticket's document is read once, folded in memory by all of its events, and
    written once, to the table and (in one bulk write for the batch) to the index, just
    before the transaction commits. If the process dies in between, the events are
    redelivered, fold into the same stored documents again and are indexed again."""
    documents = uow.documents
    before = documents.load(envelope.ticket_id)
    now = utcnow()
    after = apply(before, envelope, event, now)
    if after == before:
        return
    if (spot := after.get("hotspot_key")) and spot != (before or {}).get("hotspot_key"):
        uow.spots.touch(spot, now)  # a ticket new to the spot: its alarm worker looks again
    if not documents.staged():
        uow.before_commit.append(partial(_write, index, documents))
    documents.stage(envelope.ticket_id, after)


def _write(index: Index, documents: Documents) -> None:
    index.put_many(documents.write(utcnow()))
