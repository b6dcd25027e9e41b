"""The inbox forgets events processed long ago, in batches, and still recognises recent
redeliveries (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Engine, MetaData, String, Table, func, insert, select

from proto.assignments import ASSIGNMENTS, AssignmentDispatched
from proto.envelope import Envelope
from services.common.bus import Message
from services.common.bus.embedded import EmbeddedBus
from services.common.consumer import Consumer, purge_inbox
from services.common.db import UnitOfWork, make_engine, uow_factory
from services.common.messaging_tables import inbox_table, outbox_table
from services.common.relay import Relay
from services.common.settings import Settings
from tests.support import peers

metadata = MetaData()
effects = Table("effects", metadata, Column("event_id", String(64), primary_key=True))
outbox_table(metadata)
inbox = inbox_table(metadata)
RETENTION = timedelta(hours=Settings().inbox_retention_hours)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'svc.db'}"
    else:
        server: peers.Peer = request.getfixturevalue("postgres")
        name = f"i{uuid.uuid4().hex[:10]}"
        peers.create_databases(server, (name,))
        url = server.url.replace("{db}", name)
    engine = make_engine(url)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def _record_effect(uow: UnitOfWork, envelope: Envelope, event: Any) -> None:
    uow.session.execute(insert(effects).values(event_id=envelope.event_id))


def _count(engine: Engine, table: Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _age(engine: Engine, consumer: str, prefix: str, count: int, age: timedelta) -> None:
    at = datetime.now(UTC) - age
    rows = [
        {"consumer": consumer, "event_id": f"{prefix}{n}", "processed_at": at} for n in range(count)
    ]
    with engine.begin() as conn:
        conn.execute(insert(inbox), rows)


def test_the_default_retention_outlasts_every_redelivery_window() -> None:
    settings = Settings()
    assert settings.inbox_retention_hours > settings.outbox_retention_hours


def test_old_rows_go_in_batches_and_recent_ones_stay(engine: Engine) -> None:
    _age(engine, "a", "old", 23, RETENTION + timedelta(hours=1))
    _age(engine, "b", "old", 4, RETENTION + timedelta(hours=1))
    _age(engine, "a", "new", 5, RETENTION - timedelta(hours=1))
    assert purge_inbox(engine, metadata, RETENTION, batch=7) == 27
    with engine.connect() as conn:
        left = {tuple(r) for r in conn.execute(select(inbox.c.consumer, inbox.c.event_id))}
    assert left == {("a", f"new{n}") for n in range(5)}
    assert purge_inbox(engine, metadata, RETENTION, batch=7) == 0


def test_a_redelivered_recent_event_is_still_a_duplicate_after_a_purge(
    engine: Engine, tmp_path: Path
) -> None:
    bus = EmbeddedBus(tmp_path / "bus.db")
    event = AssignmentDispatched(
        assignment_id="a1",
        department_code="D-JXS",
        department_name="建外街道",
        rule="territory:street",
        dispatched_at=datetime.now(UTC),
    )
    with uow_factory(engine, metadata, "test")() as uow:
        uow.publish(event, ticket_id="t1")
        uow.commit()
    Relay(engine, metadata, bus.publisher()).run_once()
    consumer = Consumer(
        "test",
        lambda: bus.subscribe("test", [ASSIGNMENTS]),
        uow_factory(engine, metadata, "t"),
        {AssignmentDispatched.TYPE: _record_effect},
        bus.publisher(),
    )
    assert consumer.run_once() == 1
    _age(engine, "test", "old", 3, RETENTION + timedelta(minutes=1))

    assert purge_inbox(engine, metadata, RETENTION) == 3
    copy = bus.subscribe("copy", [ASSIGNMENTS])
    record = copy.poll(0.5)[0]
    copy.close()
    bus.publisher().publish([Message(ASSIGNMENTS, record.key, record.value, record.headers)])
    assert consumer.run_once() == 1
    consumer.close()
    assert _count(engine, effects) == 1
    assert _count(engine, inbox) == 1
