"""What the use cases need from storage: repositories reached through the unit of work.

The SQL versions live in services/dispatch/adapters/; tests use in-memory ones."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from proto.assignments import AssignmentSupervised, SlaState
from proto.envelope import Event
from services.common.ports import Transaction
from services.dispatch.domain.assignment import Assignment
from services.dispatch.domain.calendar import YearRules
from services.dispatch.domain.dispatching import SuggestionDecision, Ticket
from services.dispatch.domain.extension import Extension
from services.dispatch.domain.notice import Notice
from services.dispatch.domain.routing import Department, Router, Rule
from services.dispatch.domain.sla import Clock, Policy, PolicyBook

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
    def load(self, ticket_id: str, *, lock: bool = False) -> Ticket | None:
        """`lock`: held for change until the transaction ends."""

    def add(self, ticket: Ticket) -> None: ...

    def save(self, ticket: Ticket) -> None: ...

    def decided(self, decision: SuggestionDecision) -> None:
        """Records suggested versus final for the ticket."""


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


@dataclass(frozen=True)
class DueClock:
    """A clock with something to fire, as read; `clock` is the one to move past it."""

    id: int
    assignment_id: str
    ticket_id: str
    department_code: str
    read_next_fire_at: datetime
    clock: Clock


class Clocks(Protocol):
    """SLA clocks falling due, and the SLA state they give assignments; each call covers a
    whole batch in one statement."""

    def due(self, now: datetime, limit: int) -> list[DueClock]:
        """Oldest first; rows another scheduler holds are skipped where the database can."""

    def claim(self, due: Sequence[DueClock]) -> bool:
        """Stores each clock's new state, guarded by the `next_fire_at` read; False when
        any had been moved by someone else meanwhile (the caller rolls back)."""

    def sla_of(self, assignment_ids: Collection[str]) -> dict[str, tuple[SlaState, bool]]:
        """Each assignment's SLA state and whether it is under supervision."""

    def mark(self, breached: Collection[str], warned: Collection[str]) -> None:
        """Breached ones go under supervision; warned ones stay breached if they were."""

    def supervise(self, opened: Sequence[tuple[AssignmentSupervised, str]]) -> None:
        """Adds (event, ticket id) pairs to the supervision list."""

    def open_by_state(self) -> dict[tuple[str, str], int]:
        """Open assignments by (department, SLA state or `paused`)."""

    def department_codes(self) -> list[str]: ...


class Notices(Protocol):
    """Notices to departments' duty contacts (see services/dispatch/domain/notice.py)."""

    def queue(
        self,
        fired: Sequence[tuple[str, str, str, str, str, datetime]],
        now: datetime,
        new_id: Callable[[], str],
    ) -> int:
        """(assignment, ticket, department, clock, kind, due) firings: a pending notice for
        each whose department has a channel, unless that one exists already."""

    def due(self, now: datetime, limit: int) -> list[Notice]: ...

    def claim(self, notice: Notice, lease: timedelta, now: datetime) -> bool: ...

    def settle(self, notice_id: str, values: dict[str, Any]) -> None: ...

    def recent(self, limit: int) -> list[dict[str, Any]]: ...

    def settings(self, code: str) -> dict[str, Any] | None: ...

    def set_settings(self, code: str, channel: str, phone: str | None, url: str | None) -> None:
        """The department's channel and its address (a duty phone or a webhook URL)."""


class CalendarYears(Protocol):
    """Years of holidays imported by admins, each change kept."""

    def rules(self) -> YearRules: ...

    def version(self) -> int: ...

    def year(self, year: int) -> dict[str, Any] | None: ...

    def put(self, rules: YearRules, note: str, by: str, now: datetime) -> None: ...

    def changes(self, year: int) -> list[dict[str, Any]]: ...


class Departments(Protocol):
    """Departments as admins edit them: the record with its territory and duty contact,
    and the open work a merge hands on (services/dispatch/adapters/department_store.py)."""

    def get(self, code: str) -> dict[str, Any] | None: ...

    def overview(self) -> list[dict[str, Any]]: ...

    def owners(self, areas: Collection[str]) -> dict[str, str]:
        """Area code → the department whose territory it is."""

    def add(self, values: Mapping[str, Any]) -> None: ...

    def change(self, code: str, values: Mapping[str, Any], by: str, now: datetime) -> None:
        """Also moves the version routers reload by."""

    def set_territory(self, code: str, areas: Sequence[str]) -> None: ...

    def open_assignments(self, code: str) -> list[str]: ...

    def hand_on(self, old_id: str, new_id: str, code: str) -> None:
        """Pending extension requests and open supervisions follow to the new assignment."""

    def log(self, change: Mapping[str, Any]) -> None:
        """Keeps a change: code, kind, action, before, after, by, at, effective_at."""

    def history(self, code: str | None, limit: int) -> list[dict[str, Any]]:
        """Newest first."""


class HotspotAlarms(Protocol):
    """Search's hot-spot alarms as dispatch keeps them for the desk
    (services/dispatch/adapters/hotspot_store.py)."""

    def add(self, row: dict[str, Any]) -> None:
        """Once per alarm id: a redelivered alarm changes nothing."""

    def clear(self, alarm_id: str, at: datetime) -> None: ...

    def open(self) -> list[dict[str, Any]]: ...


class SlaPolicies(Protocol):
    """SLA policies and their category mappings, each change kept under a new version that
    other instances watch to reload their policy book."""

    def version(self) -> int: ...

    def book(self) -> PolicyBook: ...

    def policies(self) -> list[dict[str, Any]]: ...

    def policy(self, name: str) -> dict[str, Any] | None: ...

    def put_policy(self, policy: Policy, by: str, now: datetime) -> None: ...

    def mappings(self) -> list[dict[str, Any]]: ...

    def mapping(self, prefix: str, urgency: str) -> dict[str, Any] | None: ...

    def put_mapping(
        self, prefix: str, urgency: str, policy: str, by: str, now: datetime
    ) -> None: ...

    def remove_mapping(self, prefix: str, urgency: str) -> None: ...

    def record(self, change: dict[str, Any]) -> int:
        """Keeps the change (subject, key, action, before, after, by, at, effective_at)
        under the next version and returns that version."""

    def changes(self, limit: int) -> list[dict[str, Any]]:
        """Newest first."""

    def seed(self, book: PolicyBook, now: datetime) -> bool:
        """Stores `book` when there are no policies yet; True if it did."""


class Routers(Protocol):
    def router(self, rules: Rules) -> Router:
        """The current Router, rebuilt only when the rules' version moved."""


class UnitOfWork(Transaction, Protocol):
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

    @property
    def clocks(self) -> Clocks: ...

    @property
    def notices(self) -> Notices: ...

    @property
    def calendar(self) -> CalendarYears: ...

    @property
    def sla(self) -> SlaPolicies: ...

    @property
    def hotspots(self) -> HotspotAlarms: ...

    @property
    def departments(self) -> Departments: ...

    # The read side (services/dispatch/adapters/queries.py) for the API's lists; use cases
    # never touch it.
    @property
    def session(self) -> Any: ...
