"""Idempotent consumer: effects and the event id commit in one transaction; offsets after.

An event that keeps failing (or cannot be parsed) goes to the topic's dead-letter topic with
the error attached, and the consumer moves on; one that fails only because the database or
a peer it needs (`PeerAway`) is away is kept, and read again from the committed position
once the worker retries.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Engine, Insert, MetaData, Select, bindparam, delete, insert, select
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from proto.envelope import Envelope, Event
from proto.registry import decode_envelope, decode_payload
from services.common import metrics
from services.common.bus import (
    BusError,
    Message,
    Publisher,
    Record,
    Subscription,
    dead_letter_topic,
)
from services.common.db import UnitOfWork, UnitOfWorkFactory
from services.common.logs import correlation_id
from services.common.messaging_tables import inbox_table

log = logging.getLogger(__name__)


class PeerAway(Exception):
    """A handler's adapter raises this when a peer it needs (a search server, a gateway)
    cannot be reached or is overloaded: the event is not at fault."""


# The database or a peer cannot be reached (down, restarting, refusing connections, pool
# exhausted): an event failing only for that is retried later, never dead-lettered.
AWAY = (OperationalError, InterfaceError, PoolTimeout, PeerAway)

# Handlers take the concrete event class their type maps to.
Handler = Callable[[UnitOfWork, Envelope, Any], None]


@dataclass(frozen=True)
class _InboxStatements:
    seen_any: Select[tuple[str]]
    record: Insert


@cache
def _inbox_statements(metadata: MetaData) -> _InboxStatements:
    # Built once per service, so SQLAlchemy's compiled cache is hit for every event.
    inbox = inbox_table(metadata)
    return _InboxStatements(
        seen_any=select(inbox.c.event_id).where(
            inbox.c.consumer == bindparam("consumer"),
            inbox.c.event_id.in_(bindparam("ids", expanding=True)),
        ),
        record=insert(inbox),
    )


@dataclass(frozen=True)
class Health:
    """How long a consumer may go without partitions (`grace`) or without a poll coming
    back (`stall`) before it counts as unready."""

    grace: float = 30.0
    stall: float = 60.0


class Consumer:
    def __init__(
        self,
        name: str,
        subscribe: Callable[[], Subscription],
        uow: UnitOfWorkFactory,
        handlers: Mapping[str, Handler],
        dead_letters: Publisher,
        max_attempts: int = 3,
        retry_delay: float = 0.2,
        health: Health | None = None,
    ):
        self.name = name
        self._subscribe = subscribe
        self._subscription: Subscription | None = None
        self.uow = uow
        self.handlers = handlers
        self.dead_letters = dead_letters
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay
        self.health = health or Health()
        self._last_poll = time.monotonic()
        self._unassigned_since: float | None = self._last_poll
        metrics.ASSIGNED_PARTITIONS.labels(name).set(0)

    @property
    def subscription(self) -> Subscription:
        # Subscribing reaches the broker, so it happens on the worker's first step, not at
        # start-up: a service must come up (and take calls) while the broker is away.
        if self._subscription is None:
            self._subscription = self._subscribe()
        return self._subscription

    def close(self) -> None:
        if self._subscription is not None:
            self._subscription.close()

    def run_once(self, timeout: float = 0.5) -> int:
        """Processes what one poll returns, then commits its offsets; returns the count.

        The whole batch goes in one transaction (one commit instead of one per event); if
        anything in it fails, nothing of it is kept and the records are taken one by one,
        so the failing one is retried and dead-lettered alone.
        """
        records = self.subscription.poll(timeout)
        self._polled()
        if records:
            try:
                if not self._apply_batch(records):
                    for record in records:
                        self.handle(record)
            except Exception:
                # Some records were neither applied nor dead-lettered (e.g. the dead-letter
                # topic refused one), yet the subscription has moved past them: read again
                # from the committed position on the next step rather than skip them.
                self._rewind()
                raise
            self.subscription.commit(records)
        return len(records)

    def settle(self, timeout: float = 0.01) -> bool:
        """One step towards quiescence: True while it processed records, the group has not
        given it partitions yet, or records wait after the committed position."""
        if self.run_once(timeout):
            return True
        subscription = self.subscription
        return not subscription.assignment() or any(subscription.lag().values())

    def _polled(self) -> None:
        """Notes a poll that came back, and whether the group has given this member any
        partitions (readiness and the gauge read both)."""
        now = time.monotonic()
        self._last_poll = now
        assigned = len(self.subscription.assignment())
        metrics.ASSIGNED_PARTITIONS.labels(self.name).set(assigned)
        if assigned:
            self._unassigned_since = None
        elif self._unassigned_since is None:
            self._unassigned_since = now

    def ready(self) -> bool:
        """False while the loop has not polled for `health.stall` seconds or the member has
        had no partitions for `health.grace` seconds; read by /readyz from another thread."""
        now = time.monotonic()
        if now - self._last_poll > self.health.stall:
            log.warning("consumer %s has not polled for %.0f s", self.name, now - self._last_poll)
            return False
        waiting = self._unassigned_since
        if waiting is not None and now - waiting > self.health.grace:
            log.warning("consumer %s has had no partitions for %.0f s", self.name, now - waiting)
            return False
        return True

    def report_lag(self) -> int:
        """Sets the lag gauges; a step of its own worker, beside the poll loop, because
        asking the broker may take a while and must never hold up polling or a group join.
        Returns 0 so the worker waits its idle time between two reports."""
        subscription = self._subscription
        if subscription is None:
            return 0
        try:
            lags = subscription.lag()
        except BusError:
            return 0  # the broker is away; the records themselves will be retried by poll
        for topic, lag in lags.items():
            metrics.CONSUMER_LAG.labels(self.name, topic).set(lag)
        return 0

    def _rewind(self) -> None:
        """Reads again from the committed position, keeping the group membership: a
        consumer closed and replaced while its group re-forms (after a broker restart) left
        the test broker waiting for the departed member, and the group never joined again.
        Only when the broker cannot tell the position is the subscription dropped."""
        if self._subscription is None:
            return
        try:
            self._subscription.rewind()
            return
        except BusError:
            log.warning("rewinding failed; subscribing again", exc_info=True)
        subscription, self._subscription = self._subscription, None
        try:
            subscription.close()
        except Exception:
            log.warning("closing the subscription to read it again failed", exc_info=True)

    def _parse_batch(
        self, records: Sequence[Record]
    ) -> list[tuple[Envelope, Event, Handler]] | None:
        """The batch's events this consumer handles, or None if any record is malformed."""
        parsed = []
        for record in records:
            try:
                envelope = decode_envelope(record.value)
                handler = self.handlers.get(envelope.type)
                if handler is None:
                    continue
                parsed.append((envelope, decode_payload(envelope), handler))
            except ValueError:  # pydantic's ValidationError is one
                return None
        return parsed

    def _apply_batch(self, records: Sequence[Record]) -> bool:
        parsed = self._parse_batch(records)
        if parsed is None:
            return False
        done: dict[str, str] = {}
        duplicates: list[str] = []
        try:
            with self.uow() as uow:
                statements = _inbox_statements(uow.metadata)
                ids = [envelope.event_id for envelope, _, _ in parsed]
                seen = set(
                    uow.session.execute(
                        statements.seen_any, {"consumer": self.name, "ids": ids}
                    ).scalars()
                )
                for envelope, event, handler in parsed:
                    if envelope.event_id in seen or envelope.event_id in done:
                        duplicates.append(envelope.type)
                        continue
                    token = correlation_id.set(envelope.correlation_id)
                    try:
                        handler(uow, envelope, event)
                    finally:
                        correlation_id.reset(token)
                    done[envelope.event_id] = envelope.type
                if done:
                    now = datetime.now(UTC)
                    uow.session.execute(
                        statements.record,
                        [{"consumer": self.name, "event_id": i, "processed_at": now} for i in done],
                    )
                uow.commit()
        except Exception:
            log.info(
                "batch of %d failed; taking its records one by one", len(records), exc_info=True
            )
            return False
        for type_ in done.values():
            metrics.EVENTS_PROCESSED.labels(self.name, type_).inc()
        for type_ in duplicates:
            metrics.EVENTS_DUPLICATE.labels(self.name, type_).inc()
        return True

    def handle(self, record: Record) -> str:
        """Returns what happened: processed, duplicate, skipped or dead-lettered."""
        try:
            envelope = decode_envelope(record.value)
        except ValueError as exc:
            return self._dead_letter(record, "?", f"malformed envelope: {exc}")
        handler = self.handlers.get(envelope.type)
        if handler is None:
            return "skipped"
        token = correlation_id.set(envelope.correlation_id)
        try:
            return self._handle_with_retries(record, envelope, handler)
        finally:
            correlation_id.reset(token)

    def _handle_with_retries(self, record: Record, envelope: Envelope, handler: Handler) -> str:
        try:
            event = decode_payload(envelope)
        except ValueError as exc:
            return self._dead_letter(record, envelope.type, f"malformed payload: {exc}")
        error = ""
        for attempt in range(1, self.max_attempts + 1):
            try:
                return self._apply(envelope, event, handler)
            except Exception as exc:
                metrics.EVENTS_FAILED.labels(self.name, envelope.type).inc()
                error = f"{type(exc).__name__}: {exc}"
                log.warning("event failed (attempt %d): %s", attempt, error, exc_info=True)
                if attempt == self.max_attempts and isinstance(exc, AWAY):
                    # Not the event's fault: it is kept (not committed, read again later).
                    raise
                time.sleep(self.retry_delay * attempt)
        return self._dead_letter(record, envelope.type, error)

    def _apply(self, envelope: Envelope, event: Event, handler: Handler) -> str:
        with self.uow() as uow:
            statements = _inbox_statements(uow.metadata)
            seen = {"consumer": self.name, "ids": [envelope.event_id]}
            if uow.session.execute(statements.seen_any, seen).first() is not None:
                metrics.EVENTS_DUPLICATE.labels(self.name, envelope.type).inc()
                return "duplicate"
            handler(uow, envelope, event)
            try:
                uow.session.execute(
                    statements.record,
                    {
                        "consumer": self.name,
                        "event_id": envelope.event_id,
                        "processed_at": datetime.now(UTC),
                    },
                )
                uow.commit()
            except IntegrityError:
                # Another instance of this consumer committed the same event first.
                metrics.EVENTS_DUPLICATE.labels(self.name, envelope.type).inc()
                return "duplicate"
        metrics.EVENTS_PROCESSED.labels(self.name, envelope.type).inc()
        return "processed"

    def _dead_letter(self, record: Record, type_: str, error: str) -> str:
        headers = dict(record.headers)
        headers.update(
            {
                "error": error[:2000],
                "consumer": self.name,
                "original_topic": record.topic,
                "original_offset": f"{record.partition}:{record.offset}",
            }
        )
        dlq = dead_letter_topic(record.topic)
        self.dead_letters.publish([Message(dlq, record.key, record.value, headers)])
        metrics.EVENTS_DEAD_LETTERED.labels(self.name, record.topic).inc()
        log.error("event dead-lettered to %s: %s", dlq, error, extra={"fields": {"type": type_}})
        return "dead-lettered"


def purge_inbox(engine: Engine, metadata: MetaData, retention: timedelta, batch: int = 1000) -> int:
    """Forgets events processed longer ago than `retention`, `batch` rows per transaction
    so a large purge never holds the database's writer for long; returns the count.

    Safe because nothing redelivers an event that old (see `inbox_retention_hours`)."""
    inbox = inbox_table(metadata)
    cutoff = datetime.now(UTC) - retention
    oldest = select(inbox.c.event_id).where(inbox.c.processed_at < cutoff).limit(batch)
    statement = delete(inbox).where(
        inbox.c.processed_at < cutoff, inbox.c.event_id.in_(oldest.scalar_subquery())
    )
    purged = 0
    while True:
        with engine.begin() as conn:
            count = conn.execute(statement).rowcount
        purged += count
        if count < batch:
            return purged
