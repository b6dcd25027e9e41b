"""What the use cases need from storage: repositories reached through the unit of work.

The SQL versions live in services/dispatch/adapters/; tests use in-memory ones."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from proto.envelope import Envelope, Event
from services.dispatch.domain.assignment import Assignment
from services.dispatch.domain.dispatching import Ticket
from services.dispatch.domain.extension import Extension
from services.dispatch.domain.routing import Department, Router, Rule

# A rule as stored, column by column (its position among them, who saved it, its note):
# what the change log keeps before and after an edit.
StoredRule = Mapping[str, Any]


class Assignments(Protocol):
    def load(self, assignment_id: str, *, lock: bool = False) -> Assignment | None:
        """With its clocks; `lock` holds it until the transaction ends."""

    def add(self, assignment: Assignment) -> None: ...

    def save(self, assignment: Assignment) -> None:
        """Refuses (409) if someone else saved the assignment meanwhile."""

    def record_activity(self, events: Sequence[Event], at: datetime) -> None: ...

    def next_attempt(self, ticket_id: str, round_: int) -> int: ...

    def of_ticket(self, ticket_id: str) -> list[Assignment]:
        """Newest round and attempt first."""


class Tickets(Protocol):
    def load(self, ticket_id: str) -> Ticket | None: ...

    def add(self, ticket: Ticket) -> None: ...

    def save(self, ticket: Ticket) -> None: ...


class Extensions(Protocol):
    def load(self, extension_id: str) -> Extension | None: ...

    def has_pending(self, assignment_id: str) -> bool: ...

    def add(self, extension: Extension) -> None: ...

    def save(self, extension: Extension) -> None: ...


class Supervisions(Protocol):
    def open(self, assignment: Assignment, reason: str, by: str, now: datetime) -> None: ...

    def close(self, assignment_id: str, note: str, by: str, now: datetime) -> None: ...


class Rules(Protocol):
    """Routing rules, departments and categories, and the version other instances watch."""

    def get(self, rule_id: str) -> StoredRule | None: ...

    def add(self, rule: Rule, note: str, by: str, now: datetime) -> None:
        """Stored last; `place` moves it."""

    def replace(self, rule: Rule, note: str, by: str, now: datetime) -> None: ...

    def remove(self, rule_id: str) -> None: ...

    def order(self) -> list[str]:
        """Rule ids by position."""

    def place(self, ids: Sequence[str]) -> None:
        """Positions 0, 1, 2, ... in the order given."""

    def record_change(
        self,
        rule_id: str,
        action: str,
        before: StoredRule | None,
        after: StoredRule | None,
        by: str,
        now: datetime,
    ) -> None:
        """Keeps the change and moves the version, so every instance reloads its router."""

    def version(self) -> int: ...

    def ordered(self) -> list[Rule]: ...

    def departments(self) -> list[Department]: ...

    def category_codes(self) -> set[str]: ...

    def learn_categories(self, found: Mapping[str, str], source: str) -> None:
        """Adds codes not seen before; existing names are kept."""


class Routers(Protocol):
    def router(self, rules: Rules) -> Router:
        """The current Router, rebuilt only when the rules' version moved."""


class UnitOfWork(Protocol):
    """One use case, one transaction: rolls back unless `commit()` is called."""

    @property
    def assignments(self) -> Assignments: ...

    @property
    def tickets(self) -> Tickets: ...

    @property
    def extensions(self) -> Extensions: ...

    @property
    def supervisions(self) -> Supervisions: ...

    @property
    def rules(self) -> Rules: ...

    # The read side (services/dispatch/adapters/queries.py) for the API's lists; use cases
    # never touch it.
    @property
    def session(self) -> Any: ...

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
