"""The unit of work as use cases see it; each service's port adds its repositories."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Any, Protocol, Self

from proto.envelope import Envelope, Event


class Transaction(Protocol):
    """One use case, one transaction: rolls back unless `commit()` is called; events
    published are written to the outbox in the same transaction."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def publish(self, event: Event, *, ticket_id: str, occurred_at: Any = None) -> Envelope: ...

    def publish_all(
        self, events: Sequence[tuple[Event, str]], *, occurred_at: Any = None
    ) -> list[Envelope]: ...
