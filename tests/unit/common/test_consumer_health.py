"""A consumer's readiness: unready once it has held no partitions past its grace, or its
loop has not polled past the stall limit; ready again as soon as both hold."""

from __future__ import annotations

from typing import Any

import pytest

from services.common import consumer as consumer_module
from services.common.bus import Record
from services.common.consumer import Consumer, Health


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Member:
    """A subscription whose group gives it `partitions` (a fake: this is a unit test)."""

    def __init__(self) -> None:
        self.partitions: frozenset[tuple[str, int]] = frozenset()

    def poll(self, timeout: float, max_records: int = 500) -> list[Record]:
        return []

    def assignment(self) -> frozenset[tuple[str, int]]:
        return self.partitions

    def commit(self, records: Any) -> None: ...

    def lag(self) -> dict[str, int]:
        return {}

    def close(self) -> None: ...


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(consumer_module.time, "monotonic", clock)
    return clock


def consumer(member: Member) -> Consumer:
    return Consumer("unit", lambda: member, lambda: None, {}, None, health=Health(30, 60))  # type: ignore[arg-type]


def test_without_partitions_past_the_grace_it_is_unready(clock: Clock) -> None:
    member = Member()
    unit = consumer(member)
    unit.run_once()
    clock.now += 29
    unit.run_once()
    assert unit.ready() is True
    clock.now += 2
    unit.run_once()
    assert unit.ready() is False
    member.partitions = frozenset({("hotline.tickets", 0)})
    unit.run_once()
    assert unit.ready() is True


def test_a_loop_that_stopped_polling_is_unready(clock: Clock) -> None:
    member = Member()
    member.partitions = frozenset({("hotline.tickets", 0)})
    unit = consumer(member)
    unit.run_once()
    clock.now += 59
    assert unit.ready() is True
    clock.now += 2
    assert unit.ready() is False
    unit.run_once()
    assert unit.ready() is True
