"""Folding events into documents on an in-memory unit of work: one read and one write per
ticket and batch, one bulk index write per batch, nothing kept without a commit. The SQL
and the index adapters are proved by tests/integration/test_search_api.py."""

from __future__ import annotations

from datetime import UTC, datetime

from proto.envelope import Envelope, Event
from services.search.domain.projection import apply
from services.search.handlers import folding
from tests.support.memory_search import MemoryIndex, MemoryUnitOfWork
from tests.unit.search.test_projection import created, dispatched

NOW = datetime(2026, 12, 3, tzinfo=UTC)


def fold(uow: MemoryUnitOfWork, index: MemoryIndex, batch: list[tuple[Envelope, Event]]) -> None:
    with uow as u:
        for envelope, event in batch:
            folding.on_event(index, u, envelope, event)
        u.commit()


def folded(story: list[tuple[Envelope, Event]]) -> dict[str, object]:
    doc = None
    for envelope, event in story:
        doc = apply(doc, envelope, event, NOW)
    assert doc is not None
    return doc


def without_clock(doc: object) -> object:
    """Drops what depends on when the fold ran (e.g. the SLA state against now)."""
    assert isinstance(doc, dict)
    return {k: v for k, v in doc.items() if k != "searchable_at"}


def test_a_batch_reads_and_writes_each_ticket_once_and_indexes_in_one_bulk_write() -> None:
    uow, index = MemoryUnitOfWork(), MemoryIndex()
    story = [created(0), dispatched("a1", "B-TRAFFIC", 5), dispatched("a2", "G-CY", 6, "co")]
    fold(uow, index, story)
    assert uow.documents.reads == ["t1"] and uow.documents.writes == 1
    assert index.bulk_writes == 1
    assert without_clock(uow.stored["t1"]) == without_clock(folded(story))
    assert index.docs["t1"] == uow.stored["t1"]


def test_a_later_batch_folds_into_the_stored_document() -> None:
    uow, index = MemoryUnitOfWork(), MemoryIndex()
    story = [created(0), dispatched("a1", "B-TRAFFIC", 5)]
    fold(uow, index, story[:1])
    fold(uow, index, story[1:])
    assert without_clock(uow.stored["t1"]) == without_clock(folded(story))
    assert index.bulk_writes == 2


def test_nothing_is_stored_or_indexed_without_a_commit() -> None:
    uow, index = MemoryUnitOfWork(), MemoryIndex()
    with uow as u:
        envelope, event = created(0)
        folding.on_event(index, u, envelope, event)
    assert uow.stored == {} and index.docs == {} and index.bulk_writes == 0


def test_an_event_already_folded_writes_nothing() -> None:
    uow, index = MemoryUnitOfWork(), MemoryIndex()
    story = [created(0)]
    fold(uow, index, story)
    fold(uow, index, story)  # redelivered
    assert uow.documents.writes == 0 and index.bulk_writes == 1
