"""`hotline rebuild-search`: replay every topic into a fresh index and swap it in.

1. A new index generation is created beside the live one (Elasticsearch `<alias>-vN+1`,
   embedded `search-index-gN+1.db`); searches keep using the live one.
2. A consumer group of its own, new for this run, reads the topics from their beginning.
   Events are folded in batches into the `rebuild_documents` table and written to the new
   generation, until the group has caught up with the end of the topics.
3. In one database transaction the rebuilt documents replace `documents`; then the alias (or
   the embedded pointer file) is swapped to the new generation in one atomic step.
4. The group goes on reading for a moment after the swap and folds what it finds into the
   live documents and index, so nothing the running service folded meanwhile is lost:
   folding is idempotent, an event seen twice changes nothing.

A rebuild that fails before step 3 has touched only the new generation and the scratch
table, so the live index is as it was; whatever the point of failure, running it again
puts everything right.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from proto.envelope import Envelope, Event
from proto.registry import decode
from services.common.bus import Record, Subscription
from services.common.bus.factory import make_bus
from services.common.db import make_engine, uow_factory
from services.common.migrations import upgrade
from services.common.settings import Settings
from services.search import handlers
from services.search.adapters import labels as label_names
from services.search.adapters.index import Rebuildable, SearchIndex
from services.search.adapters.orm import documents, metadata, rebuild_documents
from services.search.bootstrap import TOPICS, make_index
from services.search.domain.projection import KNOWN_EVENTS, apply

BATCH = 1000
_KNOWN = {e.TYPE for e in KNOWN_EVENTS}


@dataclass
class Report:
    """What a rebuild did: events read (and skipped as unknown or malformed), tickets
    rebuilt, events folded after the swap, time taken, the generation now searched."""

    events: int = 0
    skipped: int = 0
    tickets: int = 0
    caught_up_after: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # of this process: on a shared machine, less than `seconds`
    generation: str = ""

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


# Called with (events done, events expected or None) after each batch.
Progress = Callable[[int, int | None], None]


def rebuild(
    settings: Settings,
    progress: Progress | None = None,
    *,
    idle_polls: int = 2,
    poll_seconds: float = 1.0,
) -> Report:
    """Rebuilds the index from the topics; see the module docstring for the steps. The
    topics count as read to their end after `idle_polls` polls of `poll_seconds` found
    nothing."""
    started, cpu = time.monotonic(), time.process_time()
    url = settings.database_url_for("search")
    upgrade("search", url)
    engine = make_engine(url)
    live = make_index(settings)
    live.ensure()
    if not isinstance(live, Rebuildable):
        raise TypeError("this index cannot be rebuilt beside itself")
    subscription = make_bus(settings).subscribe(f"search-rebuild-{uuid.uuid4().hex[:12]}", TOPICS)
    report = Report()
    try:
        fresh = live.next_generation()
        report.generation = str(getattr(fresh, "name", ""))
        idle = (idle_polls, poll_seconds)
        _replay(engine, subscription, fresh, report, progress or _quiet, idle)
        _swap_documents(engine)
        live.promote(fresh)
        report.caught_up_after = _catch_up(engine, subscription, live, idle)
    finally:
        subscription.close()
        live.close()
        engine.dispose()
    report.seconds = time.monotonic() - started
    report.cpu_seconds = time.process_time() - cpu
    return report


def _quiet(done: int, total: int | None) -> None:
    """No progress shown."""


def _expected(subscription: Subscription) -> int | None:
    try:
        return sum(subscription.lag().values())
    except Exception:  # a group not yet assigned may not know its lag: show no total
        return None


def _replay(
    engine: Engine,
    subscription: Subscription,
    fresh: SearchIndex,
    report: Report,
    progress: Progress,
    idle_polls: tuple[int, float],
) -> None:
    sessions = sessionmaker(engine)
    names = label_names.LabelStore()
    with sessions.begin() as session:
        session.execute(delete(rebuild_documents))
    total = _expected(subscription)
    idle, (enough, seconds) = 0, idle_polls
    while idle < enough:
        records = subscription.poll(seconds, max_records=BATCH)
        if not records:
            idle += 1
            continue
        idle = 0
        events = [parsed for record in records if (parsed := _parse(record))]
        report.skipped += len(records) - len(events)
        with sessions.begin() as session:
            changed = _fold_batch(session, events)
            names.remember(session, [x for doc in changed for x in label_names.of_document(doc)])
            fresh.put_many(changed)
        subscription.commit(records)
        report.events += len(records)
        total = total if total is None else max(total, report.events)
        progress(report.events, total)
    fresh.refresh()
    with sessions() as session:
        report.tickets = session.query(rebuild_documents).count()


def _parse(record: Record) -> tuple[Envelope, Event] | None:
    """The event of a record, or None for one the projection does not fold."""
    try:
        envelope, event = decode(record.value)
    except (ValueError, ValidationError):
        return None  # the live consumer dead-letters it; a rebuild just leaves it out
    return (envelope, event) if envelope.type in _KNOWN else None


def _fold_batch(session: Session, events: list[tuple[Envelope, Event]]) -> list[dict[str, Any]]:
    """Folds a batch into `rebuild_documents`; returns the documents it changed."""
    ids = sorted({envelope.ticket_id for envelope, _ in events})
    rows = session.execute(
        select(rebuild_documents.c.ticket_id, rebuild_documents.c.doc).where(
            rebuild_documents.c.ticket_id.in_(ids)
        )
    )
    docs: dict[str, Any] = {ticket_id: doc for ticket_id, doc in rows}
    before = set(docs)
    now = datetime.now(UTC)
    changed: set[str] = set()
    for envelope, event in events:
        folded = apply(docs.get(envelope.ticket_id), envelope, event, now)
        if folded != docs.get(envelope.ticket_id):
            docs[envelope.ticket_id] = folded
            changed.add(envelope.ticket_id)
    if changed & before:
        session.execute(
            delete(rebuild_documents).where(rebuild_documents.c.ticket_id.in_(changed & before))
        )
    if changed:
        session.execute(
            insert(rebuild_documents),
            [{"ticket_id": t, "doc": docs[t], "updated_at": now} for t in sorted(changed)],
        )
    return [docs[t] for t in sorted(changed)]


def _swap_documents(engine: Engine) -> None:
    """The rebuilt documents become the live ones, in one transaction."""
    columns = [c.name for c in documents.columns]
    with engine.begin() as conn:
        conn.execute(delete(documents))
        conn.execute(insert(documents).from_select(columns, select(rebuild_documents)))
        conn.execute(delete(rebuild_documents))


def _catch_up(
    engine: Engine, subscription: Subscription, live: SearchIndex, idle_polls: tuple[int, float]
) -> int:
    """Folds what came in around the swap into the live documents and index."""
    uow = uow_factory(engine, metadata, "search")
    names = label_names.LabelStore()
    folded = idle = 0
    enough, seconds = idle_polls
    while idle < enough:
        records = subscription.poll(seconds, max_records=BATCH)
        idle = 0 if records else idle + 1
        for envelope, event in filter(None, map(_parse, records)):
            with uow() as unit:
                handlers.on_event(live, names, unit, envelope, event)
                unit.commit()
            folded += 1
        if records:
            subscription.commit(records)
    return folded
