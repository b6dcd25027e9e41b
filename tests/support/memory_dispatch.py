"""An in-memory dispatch unit of work, for unit tests of the use cases without a database.

It keeps the port's promises that the use cases rely on: nothing stays unless `commit()` is
called, `save` refuses a stale version, positions and versions move as in SQL."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from proto.envelope import Envelope, Event
from services.common.errors import Conflict
from services.dispatch.domain.assignment import Assignment
from services.dispatch.domain.dispatching import SuggestionDecision, Ticket
from services.dispatch.domain.extension import Extension
from services.dispatch.domain.routing import Department, Rule
from services.dispatch.handlers.ports import StoredRule


@dataclass
class State:
    """Everything the unit of work stores, copied on entry and put back unless committed."""

    assignments: dict[str, Assignment] = field(default_factory=dict)
    activity: list[tuple[str, str, datetime]] = field(default_factory=list)
    tickets: dict[str, Ticket] = field(default_factory=dict)
    decisions: dict[str, SuggestionDecision] = field(default_factory=dict)
    extensions: dict[str, Extension] = field(default_factory=dict)
    supervisions: list[dict[str, Any]] = field(default_factory=list)
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    rule_changes: list[dict[str, Any]] = field(default_factory=list)
    rules_version: int = 0
    departments: list[Department] = field(default_factory=list)
    categories: dict[str, str] = field(default_factory=dict)
    outbox: list[Envelope] = field(default_factory=list)


class MemoryAssignments:
    def __init__(self, state: State):
        self.state = state

    def load(self, assignment_id: str, *, lock: bool = False) -> Assignment | None:
        found = self.state.assignments.get(assignment_id)
        return copy.deepcopy(found) if found else None

    def add(self, assignment: Assignment) -> None:
        self.state.assignments[assignment.id] = copy.deepcopy(replace(assignment, events=[]))

    def save(self, assignment: Assignment) -> None:
        stored = self.state.assignments[assignment.id]
        if stored.version != assignment.version:
            raise Conflict("dispatch.concurrent_change")
        assignment.version += 1
        self.state.assignments[assignment.id] = copy.deepcopy(replace(assignment, events=[]))

    def record_activity(self, events: Sequence[Event], at: datetime) -> None:
        for event in events:
            self.state.activity.append((getattr(event, "assignment_id", ""), event.TYPE, at))

    def next_attempt(self, ticket_id: str, round_: int) -> int:
        attempts = [
            a.attempt
            for a in self.state.assignments.values()
            if a.ticket_id == ticket_id and a.round == round_
        ]
        return max(attempts, default=0) + 1

    def of_ticket(self, ticket_id: str) -> list[Assignment]:
        mine = [a for a in self.state.assignments.values() if a.ticket_id == ticket_id]
        return copy.deepcopy(sorted(mine, key=lambda a: (a.round, a.attempt), reverse=True))


class MemoryTickets:
    def __init__(self, state: State):
        self.state = state

    def load(self, ticket_id: str, *, lock: bool = False) -> Ticket | None:
        return copy.copy(self.state.tickets.get(ticket_id))

    def add(self, ticket: Ticket) -> None:
        self.state.tickets[ticket.id] = copy.copy(ticket)

    def save(self, ticket: Ticket) -> None:
        self.state.tickets[ticket.id] = copy.copy(ticket)

    def decided(self, decision: SuggestionDecision) -> None:
        if decision.ticket_id in self.state.decisions:
            raise Conflict("dispatch.concurrent_change")  # the table's primary key
        self.state.decisions[decision.ticket_id] = decision


class MemoryExtensions:
    def __init__(self, state: State):
        self.state = state

    def load(self, extension_id: str) -> Extension | None:
        return copy.copy(self.state.extensions.get(extension_id))

    def has_pending(self, assignment_id: str) -> bool:
        return any(
            e.assignment_id == assignment_id and e.status == "pending"
            for e in self.state.extensions.values()
        )

    def add(self, extension: Extension) -> None:
        self.state.extensions[extension.id] = copy.copy(extension)

    def save(self, extension: Extension) -> None:
        self.state.extensions[extension.id] = copy.copy(extension)


class MemorySupervisions:
    def __init__(self, state: State):
        self.state = state

    def open(self, assignment: Assignment, reason: str, by: str, now: datetime) -> None:
        row = {"assignment_id": assignment.id, "reason": reason, "opened_by": by, "at": now}
        self.state.supervisions.append(row | {"closed_at": None})

    def close(self, assignment_id: str, note: str, by: str, now: datetime) -> None:
        for row in self.state.supervisions:
            if row["assignment_id"] == assignment_id and row["closed_at"] is None:
                row.update(closed_at=now, closed_by=by, note=note)


class MemoryRules:
    LAST = 10**6

    def __init__(self, state: State):
        self.state = state

    def get(self, rule_id: str) -> StoredRule | None:
        found = self.state.rules.get(rule_id)
        return dict(found) if found else None

    def add(self, rule: Rule, note: str, by: str, now: datetime) -> None:
        self.state.rules[rule.id] = _stored(rule, note, by, now) | {"position": self.LAST}

    def replace(self, rule: Rule, note: str, by: str, now: datetime) -> None:
        position = self.state.rules[rule.id]["position"]
        self.state.rules[rule.id] = _stored(rule, note, by, now) | {"position": position}

    def remove(self, rule_id: str) -> None:
        del self.state.rules[rule_id]

    def order(self) -> list[str]:
        return sorted(self.state.rules, key=lambda i: (self.state.rules[i]["position"], i))

    def place(self, ids: Sequence[str]) -> None:
        for index, rule_id in enumerate(ids):
            self.state.rules[rule_id]["position"] = index

    def record_change(
        self,
        rule_id: str,
        action: str,
        before: StoredRule | None,
        after: StoredRule | None,
        by: str,
        now: datetime,
    ) -> None:
        change = {"rule_id": rule_id, "action": action, "before": before, "after": after}
        self.state.rule_changes.append(change | {"by": by, "at": now})
        self.state.rules_version += 1

    def version(self) -> int:
        return self.state.rules_version

    def ordered(self) -> list[Rule]:
        return [self.state.rules[i]["rule"] for i in self.order()]

    def departments(self) -> list[Department]:
        return list(self.state.departments)

    def category_codes(self) -> set[str]:
        return set(self.state.categories)

    def learn_categories(self, found: Mapping[str, str], source: str) -> None:
        for code, name in found.items():
            self.state.categories.setdefault(code, name)


def _stored(rule: Rule, note: str, by: str, now: datetime) -> dict[str, Any]:
    values = {f.name: getattr(rule, f.name) for f in fields(rule)}
    return values | {"rule": rule, "note": note, "updated_by": by, "updated_at": now}


class MemoryUnitOfWork:
    """services.dispatch.handlers.ports.UnitOfWork but for `clocks`, whose use case (the
    scheduler) is tested on SQL (tests/integration/test_dispatch_scheduler.py); `state` is
    what is committed."""

    def __init__(self, state: State):
        self.state = state
        self.commits = 0

    def __enter__(self) -> Self:
        self._work = copy.deepcopy(self.state)
        self.assignments = MemoryAssignments(self._work)
        self.tickets = MemoryTickets(self._work)
        self.extensions = MemoryExtensions(self._work)
        self.supervisions = MemorySupervisions(self._work)
        self.rules = MemoryRules(self._work)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        del self._work

    @property
    def session(self) -> Any:
        raise AssertionError("a use case reached past the repositories")

    def commit(self) -> None:
        self.state.__dict__.update(copy.deepcopy(self._work).__dict__)
        self.commits += 1

    def publish(self, event: Event, *, ticket_id: str, occurred_at: Any = None) -> Envelope:
        envelope = Envelope.wrap(event, producer="dispatch", ticket_id=ticket_id)
        self._work.outbox.append(envelope)
        return envelope

    def publish_all(
        self, events: Sequence[tuple[Event, str]], *, occurred_at: Any = None
    ) -> list[Envelope]:
        return [self.publish(event, ticket_id=ticket_id) for event, ticket_id in events]
