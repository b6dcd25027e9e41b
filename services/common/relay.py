"""Outbox relay: publishes unsent rows in order, marks them sent only after the broker's ack."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, MetaData, delete, func, select, update

from services.common import metrics
from services.common.bus import BusError, Message, Publisher
from services.common.clock import utcnow
from services.common.db import is_postgres
from services.common.messaging_tables import outbox_table

log = logging.getLogger(__name__)


class Relay:
    def __init__(self, engine: Engine, metadata: MetaData, publisher: Publisher, batch: int = 500):
        self.engine = engine
        self.table = outbox_table(metadata)
        self.publisher = publisher
        self.batch = batch

    def run_once(self) -> int:
        """Publishes one batch; returns how many rows were sent (0: nothing to do).

        On PostgreSQL the rows stay locked (SKIP LOCKED) while they are published, so
        several instances of a service can relay side by side without sending a row twice.
        """
        t = self.table
        query = select(t.c.id, t.c.topic, t.c.key, t.c.payload, t.c.headers).where(
            t.c.sent_at.is_(None)
        )
        query = query.order_by(t.c.id).limit(self.batch)
        if is_postgres(self.engine):
            query = query.with_for_update(skip_locked=True)
        with self.engine.begin() as conn:
            rows = conn.execute(query).all()
            if not rows:
                return 0
            messages = [
                Message(r.topic, r.key, r.payload.encode(), json.loads(r.headers)) for r in rows
            ]
            try:
                self.publisher.publish(messages)
            except BusError:
                metrics.RELAY_FAILURES.inc()
                raise
            ids = [r.id for r in rows]
            conn.execute(update(t).where(t.c.id.in_(ids)).values(sent_at=utcnow()))
        for m in messages:
            metrics.OUTBOX_PUBLISHED.labels(m.topic).inc()
        return len(rows)

    def purge(self, retention: timedelta) -> int:
        """Deletes rows acknowledged longer ago than `retention`; unsent rows are never touched."""
        cutoff = utcnow() - retention
        with self.engine.begin() as conn:
            t = self.table
            return conn.execute(
                delete(t).where(t.c.sent_at.is_not(None), t.c.sent_at < cutoff)
            ).rowcount

    def backlog(self) -> tuple[int, float]:
        """Unsent rows and the age in seconds of the oldest one."""
        t = self.table
        with self.engine.connect() as conn:
            count, oldest = conn.execute(
                select(func.count(), func.min(t.c.created_at)).where(t.c.sent_at.is_(None))
            ).one()
        if oldest is None:
            return 0, 0.0
        if isinstance(oldest, str):
            oldest = datetime.fromisoformat(oldest)
        if oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        return int(count), (utcnow() - oldest).total_seconds()
