"""`hotline rebuild-search`: replay every topic into a fresh index and swap it in.

1. A new index generation is created beside the live one (Elasticsearch `<alias>-vN+1`,
   embedded `search-index-gN+1.db`); searches keep using the live one.
2. A consumer group of its own, new for this run, waits until it holds the topics'
   partitions (or gives up after `consumer_assignment_grace_seconds`), takes the end of
   every partition, and reads from the beginning until it has passed those ends; then it
   follows the tail until a poll finds nothing more. Events are folded in batches into the
   `rebuild_documents` table and written to the new generation.
3. A rebuild that found fewer tickets than the live index holds stops here, unless told to
   shrink it (`allow_shrink`): a bus that lost events must not cost the index its tickets.
4. In one database transaction the rebuilt documents replace `documents`; then the alias (or
   the embedded pointer file) is swapped to the new generation in one atomic step. The
   generation it replaced is kept until `prune` removes it.
5. The group goes on reading for a moment after the swap and folds what it finds into the
   live documents and index, so nothing the running service folded meanwhile is lost:
   folding is idempotent, an event seen twice changes nothing.

The same group also reads `hotline.audit` and adds to the audit log every entry it lacks
(from step 2 on, straight into the live table, keyed by event id). The audit log is never
emptied nor swapped: it is the record of who changed what, and must not shrink to what a
topic still holds.

A rebuild that fails before step 4 has touched only its own generation (deleted again) and
the scratch table, so the live index is as it was; whatever the point of failure, running
it again puts everything right.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from proto.audit import AUDIT
from proto.audit import EVENTS as AUDIT_EVENTS
from proto.envelope import Envelope, Event
from proto.registry import decode
from services.common.bus import Record, Subscription
from services.common.bus.factory import make_bus
from services.common.clock import utcnow
from services.common.db import make_engine, uow_factory
from services.common.migrations import upgrade
from services.common.settings import Settings
from services.search.adapters import labels as label_names
from services.search.adapters.audit import SqlAudit
from services.search.adapters.documents import SearchUnitOfWork
from services.search.adapters.index import Rebuildable, SearchIndex, SearchRequest
from services.search.adapters.orm import documents, metadata, rebuild_documents
from services.search.bootstrap import TOPICS, make_index
from services.search.config import SearchSettings
from services.search.domain import audit
from services.search.domain.projection import KNOWN_EVENTS, apply
from services.search.handlers import folding

BATCH = 1000
# Polls that found nothing while the group was still short of the ends it took: past this
# many, the rest of the log cannot be read and the rebuild gives up rather than wait forever.
STALLED_POLLS = 30
# Times the tail is followed again when the live index grew past the rebuilt one meanwhile.
CATCH_UP_ROUNDS = 3
_KNOWN = {e.TYPE for e in KNOWN_EVENTS}
_AUDITED = {e.TYPE for e in AUDIT_EVENTS}


class RebuildFailed(RuntimeError):
    """The rebuild stopped before the swap: the live index is as it was."""


@dataclass
class Report:
    """What a rebuild did: events read (and skipped as unknown or malformed), tickets
    rebuilt and held by the index it replaced, events folded after the swap, time taken,
    the generation now searched and the one it replaced (kept until pruned)."""

    events: int = 0
    skipped: int = 0
    tickets: int = 0
    live_tickets: int = 0
    caught_up_after: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # of this process: on a shared machine, less than `seconds`
    generation: str = ""
    previous: str = ""
    audit_entries: int = 0  # added to the audit log (entries it lacked)

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


# Called with (events done, events expected) after each batch.
Progress = Callable[[int, int], None]


def rebuild(
    settings: Settings,
    progress: Progress | None = None,
    *,
    allow_shrink: bool = False,
    poll_seconds: float = 1.0,
    options: SearchSettings | None = None,
) -> Report:
    """Rebuilds the index from the topics; see the module docstring for the steps.
    Raises RebuildFailed, with the live index untouched, when the group gets no partitions
    in time, the log cannot be read to its end, or the result would hold fewer tickets."""
    started, cpu = time.monotonic(), time.process_time()
    url = settings.database_url_for("search")
    upgrade("search", url)
    engine = make_engine(url)
    live = make_index(settings, options or SearchSettings())
    live.ensure()
    if not isinstance(live, Rebuildable):
        raise TypeError("this index cannot be rebuilt beside itself")
    group = f"search-rebuild-{uuid.uuid4().hex[:12]}"
    subscription = make_bus(settings).subscribe(group, (*TOPICS, AUDIT))
    report = Report(previous=live.live_generation())
    reader = _Reader(subscription, poll_seconds, progress or _quiet, report)
    try:
        fresh = live.next_generation()
        report.generation = str(getattr(fresh, "name", ""))
        try:
            reader.wait_assigned(group, settings.consumer_assignment_grace_seconds)
            _replay(engine, reader, fresh)
            _check_size(engine, reader, fresh, live, allow_shrink)
        except BaseException:
            live.discard(fresh)
            raise
        _swap_documents(engine)
        live.promote(fresh)
        report.caught_up_after = _catch_up(engine, reader, live)
    finally:
        subscription.close()
        live.close()
        engine.dispose()
    report.seconds = time.monotonic() - started
    report.cpu_seconds = time.process_time() - cpu
    return report


def _quiet(done: int, total: int) -> None:
    """No progress shown."""


class _Reader:
    """Reads the rebuild's subscription in batches, counting events for the report and
    the progress bar."""

    def __init__(
        self, subscription: Subscription, poll_seconds: float, progress: Progress, report: Report
    ) -> None:
        self.subscription = subscription
        self.poll_seconds = poll_seconds
        self.progress = progress
        self.report = report
        self.total = 0
        self._early: list[Record] = []

    def wait_assigned(self, group: str, timeout: float) -> None:
        """Polls until the group gave this member its partitions; RebuildFailed after
        `timeout` seconds. Records polled meanwhile are kept for the first batch."""
        deadline = time.monotonic() + timeout
        while not self.subscription.assignment():
            if time.monotonic() > deadline:
                raise RebuildFailed(
                    f"the rebuild's consumer group {group} got no partitions within "
                    f"{timeout:.0f} s (HOTLINE_CONSUMER_ASSIGNMENT_GRACE_SECONDS): is the "
                    "broker up and its group coordinator answering? The live index is untouched."
                )
            self._early += self.subscription.poll(min(self.poll_seconds, 0.5), max_records=BATCH)
        self.expect()

    def expect(self) -> None:
        """Counts what is left to read into the total the progress bar shows."""
        self.total = max(self.total, self.report.events + sum(self.subscription.lag().values()))
        self.progress(self.report.events, self.total)

    def batch(self) -> list[Record]:
        records, self._early = self._early, []
        return records or self.subscription.poll(self.poll_seconds, max_records=BATCH)

    def done(self, records: list[Record]) -> None:
        self.subscription.commit(records)
        self.report.events += len(records)
        self.total = max(self.total, self.report.events)
        self.progress(self.report.events, self.total)

    def passed(self, ends: dict[tuple[str, int], int]) -> bool:
        """Whether this member read every partition up to `ends`."""
        positions = self.subscription.positions()
        return all(positions.get(key, 0) >= end for key, end in ends.items() if end > 0)

    def read(self, fold: Callable[[list[Record]], None]) -> None:
        """Reads up to the ends taken now, then on until a poll finds nothing more and the
        ends (taken again) are passed. RebuildFailed if the reading stalls short of them."""
        ends, idle = self.subscription.end_offsets(), 0
        while True:
            records = self.batch()
            if records:
                fold(records)
                self.done(records)
                idle = 0
                continue
            if self.passed(ends):
                ends = self.subscription.end_offsets()
                if self.passed(ends):
                    return
                self.expect()
            idle += 1
            if idle >= STALLED_POLLS:
                raise RebuildFailed(
                    f"reading stalled short of the topics' ends {ends}; the live index is untouched"
                )


def _replay(engine: Engine, reader: _Reader, fresh: SearchIndex, *, clear: bool = True) -> None:
    """Folds the topics into `rebuild_documents` (emptied first when `clear`) and the new
    generation; see `_Reader.read` for how far."""
    sessions = sessionmaker(engine)
    names = label_names.LabelStore()
    if clear:
        with sessions.begin() as session:
            session.execute(delete(rebuild_documents))

    def fold(records: list[Record]) -> None:
        events = [parsed for record in records if (parsed := _parse(record))]
        reader.report.skipped += len(records) - len(events)
        with sessions.begin() as session:
            events = _keep_audited(session, events, reader.report)
            changed = _fold_batch(session, events)
            names.remember(session, [x for doc in changed for x in label_names.of_document(doc)])
            fresh.put_many(changed)

    reader.read(fold)
    fresh.refresh()
    reader.report.tickets = _count(engine)


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(rebuild_documents)).scalar_one())


def _check_size(
    engine: Engine, reader: _Reader, fresh: SearchIndex, live: SearchIndex, allow_shrink: bool
) -> None:
    """RebuildFailed when the rebuilt index holds fewer tickets than the live one, after
    following the tail a few more times (the live one may have folded newer events)."""
    report = reader.report
    for _ in range(CATCH_UP_ROUNDS):
        report.live_tickets = live.search(SearchRequest(limit=0)).total
        if report.tickets >= report.live_tickets or allow_shrink:
            return
        _replay(engine, reader, fresh, clear=False)
    raise RebuildFailed(
        f"the rebuilt index would hold {report.tickets:,} tickets, the live one holds "
        f"{report.live_tickets:,}: the topics hold less than the index (events expired or "
        "lost?). Nothing was swapped; run again with --allow-shrink to accept the smaller index."
    )


def _parse(record: Record) -> tuple[Envelope, Event] | None:
    """The event of a record, or None for one the projection does not fold."""
    try:
        envelope, event = decode(record.value)
    except (ValueError, ValidationError):
        return None  # the live consumer dead-letters it; a rebuild just leaves it out
    return (envelope, event) if envelope.type in _KNOWN | _AUDITED else None


def _keep_audited(
    session: Session, events: list[tuple[Envelope, Event]], report: Report
) -> list[tuple[Envelope, Event]]:
    """Adds the audit events' entries the audit log lacks; returns the other events."""
    audited = [(e, event) for e, event in events if e.type in _AUDITED]
    if audited:
        rows = (audit.entry(e, event) for e, event in audited)  # type: ignore[arg-type]
        report.audit_entries += SqlAudit(session).keep(rows)
    return [(e, event) for e, event in events if e.type not in _AUDITED]


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
    now = utcnow()
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


def _catch_up(engine: Engine, reader: _Reader, live: SearchIndex, idle_polls: int = 2) -> int:
    """Folds what came in around the swap into the live documents and index."""
    uow = uow_factory(engine, metadata, "search", SearchUnitOfWork)
    folded = idle = 0
    while idle < idle_polls:
        records = reader.batch()
        idle = 0 if records else idle + 1
        parsed = [found for found in map(_parse, records) if found]
        with Session(engine) as session, session.begin():
            parsed = _keep_audited(session, parsed, reader.report)
        for envelope, event in parsed:
            with uow() as unit:
                folding.on_event(live, unit, envelope, event)
                unit.commit()
            folded += 1
        if records:
            reader.subscription.commit(records)
    return folded


def prune(
    settings: Settings, keep: int | None, options: SearchSettings | None = None
) -> tuple[list[str], list[str], str]:
    """Deletes all index generations but the newest `keep` (None: none deleted) and the
    live one; returns (deleted, kept, live), oldest first."""
    if keep is not None and keep < 1:
        raise ValueError("keep at least one generation: the live one")
    index = make_index(settings, options or SearchSettings())
    try:
        if not isinstance(index, Rebuildable):
            raise TypeError("this index has no generations")
        deleted = [] if keep is None else index.prune(keep)
        return deleted, index.generations(), index.live_generation()
    finally:
        index.close()
