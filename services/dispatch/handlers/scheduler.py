"""The SLA scheduler: fires the warnings (催办) and breaches that are due.

Each tick asks the database only for clocks whose `next_fire_at` has passed (an index holds
just the clocks with something left to fire), at most `batch` of them. On PostgreSQL the
rows are locked with SKIP LOCKED, so instances running side by side take disjoint rows; each
row is also claimed by an update guarded by the `next_fire_at` it read, so a firing happens
once even where rows cannot be locked (SQLite). The clocks' new state and their events commit
together: a restart neither loses a firing nor repeats one. So do the notices to the
departments' duty contacts that the firings cause (services/dispatch/handlers/notices.py
sends them).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from proto.assignments import SlaBreached, SlaState, SlaWarningRaised
from proto.envelope import Event
from services.dispatch import metrics
from services.dispatch.domain.assignment import supervise_after_breaches
from services.dispatch.domain.sla import Clock, Firing, escalate
from services.dispatch.handlers.context import DispatchContext
from services.dispatch.handlers.ports import DueClock, UnitOfWork


@dataclass(frozen=True)
class Fired:
    row: DueClock
    clock: Clock
    firing: Firing
    at: datetime

    @property
    def due(self) -> datetime:
        return self.clock.warn_at if self.firing == "warning" else self.clock.due_at

    def notice(self) -> tuple[str, str, str, str, str, datetime]:
        """What a notice of this firing says: assignment, ticket, department, clock, kind
        and the clock's deadline."""
        row = self.row
        return (
            row.assignment_id, row.ticket_id, row.department_code, self.clock.name, self.firing,
            self.clock.due_at,
        )  # fmt: skip

    def event(self, state: SlaState) -> Event:
        """The firing's event, with the assignment's SLA state after it."""
        kind = SlaWarningRaised if self.firing == "warning" else SlaBreached
        return kind(
            assignment_id=self.row.assignment_id,
            department_code=self.row.department_code,
            clock=self.clock.name,
            due_at=self.clock.due_at,
            at=self.at,
            sla_state=state,
        )


class Scheduler:
    def __init__(self, deps: DispatchContext, batch: int = 500, gauge_every: float = 15.0):
        self.deps = deps
        self.batch = batch
        self.gauge_every = gauge_every
        self._gauged = 0.0

    def tick(self) -> int:
        """Fires what is due now; returns how many due clocks it handled (0: idle)."""
        started = time.perf_counter()
        now = self.deps.now()
        with self.deps.uow() as u:
            due = u.clocks.due(now, self.batch)
            fired = self._claim(u, due, now)
            if fired is None:
                return 0  # another instance fired some of these meanwhile: look again
            if fired:
                self._record(u, fired, now)
                u.notices.queue([f.notice() for f in fired], now, self.deps.new_id)
            u.commit()
        for f in fired:
            counter = metrics.SLA_WARNINGS if f.firing == "warning" else metrics.SLA_BREACHES
            counter.labels(f.clock.name).inc()
            metrics.FIRE_DELAY.observe(max(0.0, (now - f.due).total_seconds()))
        if time.monotonic() - self._gauged > self.gauge_every:
            self.refresh_gauges()
        metrics.TICK_DURATION.observe(time.perf_counter() - started)
        return len(due)

    @staticmethod
    def _claim(u: UnitOfWork, due: Sequence[DueClock], now: datetime) -> list[Fired] | None:
        """Moves each clock past what it fires, guarded by the `next_fire_at` read; None when
        any had been moved by someone else (the caller rolls back and looks again)."""
        fired = [Fired(d, d.clock, firing, now) for d in due for firing in d.clock.fire_due(now)]
        return fired if u.clocks.claim(due) else None

    @staticmethod
    def _record(u: UnitOfWork, fired: list[Fired], now: datetime) -> None:
        """Events, history, the assignments' SLA state and the supervision list, in bulk."""
        current = u.clocks.sla_of({f.row.assignment_id: None for f in fired})
        states: dict[str, SlaState] = {aid: state for aid, (state, _) in current.items()}
        events: list[tuple[Event, str]] = []
        for f in fired:
            aid = f.row.assignment_id
            states[aid] = escalate(states.get(aid, "on_time"), f.firing)
            events.append((f.event(states[aid]), f.row.ticket_id))
        breached = {f.row.assignment_id: f for f in fired if f.firing == "breach"}
        already = {aid for aid, (_, supervised) in current.items() if supervised}
        breaches = [
            (f.row.assignment_id, f.row.department_code, f.clock.name)
            for f in fired
            if f.firing == "breach"
        ]
        opened = supervise_after_breaches(breaches, already, now)
        events += [(s, breached[s.assignment_id].row.ticket_id) for s in opened]
        u.publish_all(events, occurred_at=now)
        u.assignments.record_activity([e for e, _ in events], now)
        warned = {f.row.assignment_id for f in fired if f.firing == "warning"} - set(breached)
        u.clocks.mark(breached, warned)
        u.clocks.supervise([(s, breached[s.assignment_id].row.ticket_id) for s in opened])

    def refresh_gauges(self) -> None:
        """Open assignments by department and SLA state (paused while waiting on a citizen)."""
        with self.deps.uow() as u:
            counts = u.clocks.open_by_state()
            codes = u.clocks.department_codes()
        metrics.declare(codes)
        metrics.set_open_assignments(codes, counts)
        self._gauged = time.monotonic()
