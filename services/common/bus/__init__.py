"""One bus interface, two implementations (embedded SQLite log, Kafka) behind it.

Delivery is at-least-once: `Publisher.publish` returns only after the broker acknowledged
every message; a `Subscription` hands out records in order per key and moves its group's
position only when told to `commit` them, after they were processed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol


class BusError(RuntimeError):
    """The broker could not be reached or did not acknowledge in time."""


@dataclass(frozen=True)
class Message:
    topic: str
    key: str
    value: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Record:
    """A message as read back: where it sits in the log, so its position can be committed."""

    topic: str
    partition: int
    offset: int
    key: str
    value: bytes
    headers: dict[str, str]


class Publisher(Protocol):
    def publish(self, messages: Sequence[Message]) -> None:
        """Blocks until every message is acknowledged; raises BusError otherwise."""

    def close(self) -> None: ...


class Subscription(Protocol):
    def poll(self, timeout: float, max_records: int = 500) -> list[Record]:
        """Next records after the group's position (empty after `timeout` seconds)."""

    def commit(self, records: Sequence[Record]) -> None:
        """Moves the group's position past these records."""

    def rewind(self) -> None:
        """The next poll hands out again every record after the committed position."""

    def lag(self) -> dict[str, int]:
        """Records not yet committed, per topic; callable from any thread."""

    def assignment(self) -> frozenset[tuple[str, int]]:
        """The (topic, partition) pairs this member reads; empty until its group gave it
        some. Callable from any thread."""

    def positions(self) -> dict[tuple[str, int], int]:
        """The offset this member reads next, per assigned partition."""

    def end_offsets(self) -> dict[tuple[str, int], int]:
        """The offset after the last record, per partition of the subscribed topics."""

    def close(self) -> None: ...


class Bus(Protocol):
    def publisher(self) -> Publisher: ...

    def subscribe(self, group: str, topics: Sequence[str]) -> Subscription: ...

    def ensure_topics(self, topics: Sequence[str]) -> None: ...

    def ping(self) -> bool:
        """True when the broker answers; used by /readyz."""


def dead_letter_topic(topic: str) -> str:
    return f"{topic}.dlq"
