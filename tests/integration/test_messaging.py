"""Outbox, relay and idempotent inbox on real databases (SQLite and PostgreSQL) and the
embedded bus: the storage half of "nothing lost, nothing twice"."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Engine, MetaData, String, Table, func, insert, select

from proto.assignments import ASSIGNMENTS, AssignmentDispatched
from proto.envelope import Envelope
from services.common.bus import BusError, Message, dead_letter_topic
from services.common.bus.embedded import EmbeddedBus
from services.common.consumer import Consumer
from services.common.db import UnitOfWork, make_engine, uow_factory
from services.common.messaging_tables import inbox_table, outbox_table
from services.common.relay import Relay
from tests.support import peers

metadata = MetaData()
effects = Table("effects", metadata, Column("event_id", String(64), primary_key=True))
outbox = outbox_table(metadata)
inbox_table(metadata)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'svc.db'}"
    else:
        server: peers.Peer = request.getfixturevalue("postgres")
        name = f"m{uuid.uuid4().hex[:10]}"
        peers.create_databases(server, (name,))
        url = server.url.replace("{db}", name)
    engine = make_engine(url)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def bus(tmp_path: Path) -> EmbeddedBus:
    return EmbeddedBus(tmp_path / "bus.db")


def _event(n: int) -> AssignmentDispatched:
    return AssignmentDispatched(
        assignment_id=f"a{n}",
        department_code="D-JXS",
        department_name="建外街道",
        rule="territory:street",
        dispatched_at=datetime.now(UTC),
    )


def _publish(engine: Engine, n: int, commit: bool = True) -> None:
    with uow_factory(engine, metadata, "test")() as uow:
        uow.publish(_event(n), ticket_id=f"t{n}")
        if commit:
            uow.commit()


def _unsent(engine: Engine) -> int:
    with engine.connect() as conn:
        query = select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
        return int(conn.execute(query).scalar_one())


def _drain(bus: EmbeddedBus, group: str, topic: str) -> list[Any]:
    sub = bus.subscribe(group, [topic])
    records = sub.poll(0.5)
    sub.close()
    return records


def test_an_uncommitted_unit_of_work_leaves_no_event(engine: Engine) -> None:
    _publish(engine, 1, commit=False)
    assert _unsent(engine) == 0


def test_the_relay_publishes_in_order_and_marks_rows_sent(engine: Engine, bus: EmbeddedBus) -> None:
    for n in range(5):
        _publish(engine, n)
    relay = Relay(engine, metadata, bus.publisher(), batch=2)
    assert [relay.run_once() for _ in range(4)] == [2, 2, 1, 0]
    assert _unsent(engine) == 0
    keys = [r.key for r in _drain(bus, "reader", ASSIGNMENTS)]
    assert keys == [f"t{n}" for n in range(5)]
    assert relay.purge(timedelta(hours=1)) == 0  # too recent to forget
    assert relay.purge(timedelta(seconds=-1)) == 5


class RefusingPublisher:
    def publish(self, messages: Sequence[Message]) -> None:
        raise BusError("broker away")

    def close(self) -> None:
        pass


def test_rows_stay_unsent_while_the_broker_refuses(engine: Engine) -> None:
    _publish(engine, 1)
    with pytest.raises(BusError):
        Relay(engine, metadata, RefusingPublisher()).run_once()
    assert _unsent(engine) == 1
    count, age = Relay(engine, metadata, RefusingPublisher()).backlog()
    assert count == 1 and age >= 0


def _record_effect(uow: UnitOfWork, envelope: Envelope, event: Any) -> None:
    uow.session.execute(insert(effects).values(event_id=envelope.event_id))


def _consumer(engine: Engine, bus: EmbeddedBus, handler: Any = _record_effect) -> Consumer:
    return Consumer(
        "test",
        lambda: bus.subscribe("test", [ASSIGNMENTS]),
        uow_factory(engine, metadata, "t"),
        {AssignmentDispatched.TYPE: handler},
        bus.publisher(),
        max_attempts=2,
        retry_delay=0.01,
    )


def _effects(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(effects)).scalar_one())


def test_a_redelivered_event_has_one_effect(engine: Engine, bus: EmbeddedBus) -> None:
    _publish(engine, 1)
    Relay(engine, metadata, bus.publisher()).run_once()
    record = _drain(bus, "copy", ASSIGNMENTS)[0]
    bus.publisher().publish([Message(ASSIGNMENTS, record.key, record.value, record.headers)])
    consumer = _consumer(engine, bus)
    assert consumer.run_once() == 2
    assert _effects(engine) == 1


def test_malformed_and_failing_events_go_to_the_dead_letter_topic(
    engine: Engine, bus: EmbeddedBus
) -> None:
    bus.publisher().publish([Message(ASSIGNMENTS, "t9", b"{broken", {})])
    _publish(engine, 1)
    _publish(engine, 2)
    Relay(engine, metadata, bus.publisher()).run_once()

    def fail_on_first(uow: UnitOfWork, envelope: Envelope, event: Any) -> None:
        if envelope.ticket_id == "t1":
            raise RuntimeError("cannot handle t1")
        _record_effect(uow, envelope, event)

    consumer = _consumer(engine, bus, fail_on_first)
    assert consumer.run_once() == 3
    assert _effects(engine) == 1  # t2 went through after the two bad ones
    dead = _drain(bus, "dlq-reader", dead_letter_topic(ASSIGNMENTS))
    assert [r.key for r in dead] == ["t9", "t1"]
    assert "malformed" in dead[0].headers["error"]
    assert "cannot handle t1" in dead[1].headers["error"]
    assert consumer.subscription.lag() == {ASSIGNMENTS: 0}
