"""The SLA scheduler: fires the warnings (催办) and breaches that are due.

Each tick asks the database only for clocks whose `next_fire_at` has passed (an index holds
just the clocks with something left to fire), at most `batch` of them. On PostgreSQL the
rows are locked with SKIP LOCKED, so instances running side by side take disjoint rows; each
row is also claimed by an update guarded by the `next_fire_at` it read, so a firing happens
once even where rows cannot be locked (SQLite). The clocks' new state and their events commit
together: a restart neither loses a firing nor repeats one.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, bindparam, case, func, insert, select, update

from proto.assignments import AssignmentSupervised, SlaBreached, SlaState, SlaWarningRaised
from proto.envelope import Event
from services.common.db import UnitOfWork, is_postgres
from services.dispatch import metrics
from services.dispatch.adapters import repository
from services.dispatch.adapters.orm import (
    assignments,
    clocks,
    departments,
    supervisions,
)
from services.dispatch.domain.assignment import OPEN, supervise_after_breaches
from services.dispatch.domain.sla import Clock, Firing, escalate
from services.dispatch.handlers.context import Deps

# Built once: a statement reused with new parameters skips SQLAlchemy's per-call compiling,
# which otherwise costs more than the database work when a wave of clocks falls due.
_STATE = ("warned_at", "breached_at", "next_fire_at")
_CLAIM = (
    update(clocks)
    .where(clocks.c.id == bindparam("b_id"), clocks.c.next_fire_at == bindparam("b_old"))
    .values({name: bindparam(f"v_{name}") for name in _STATE})
)
_A = assignments.c


_IDS: BindParameter[str] = bindparam("b_ids", expanding=True)
_BREACHED = {"sla_state": "breached", "supervised": True, "version": _A.version + 1}
_WARNED = {
    "sla_state": case((_A.sla_state == "breached", "breached"), else_="warned"),
    "version": _A.version + 1,
}
# One statement each for all the batch's assignments: breached, or warned (unless breached).
_MARK_BREACHED = update(assignments).where(_A.id.in_(_IDS)).values(_BREACHED)
_MARK_WARNED = update(assignments).where(_A.id.in_(_IDS)).values(_WARNED)
_CURRENT = select(_A.id, _A.sla_state, _A.supervised).where(_A.id.in_(_IDS))


@dataclass(frozen=True)
class Fired:
    row: Any
    clock: Clock
    firing: Firing
    at: datetime

    @property
    def due(self) -> datetime:
        return self.clock.warn_at if self.firing == "warning" else self.clock.due_at

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
    def __init__(self, deps: Deps, batch: int = 500, gauge_every: float = 15.0):
        self.deps = deps
        self.batch = batch
        self.gauge_every = gauge_every
        self._gauged = 0.0
        # The due query too is built once (its LIMIT is this scheduler's batch).
        self._due_query = (
            select(clocks)
            .where(clocks.c.next_fire_at <= bindparam("b_now"))
            .order_by(clocks.c.next_fire_at)
            .limit(batch)
        )
        self._due_locked = self._due_query.with_for_update(skip_locked=True)

    def tick(self) -> int:
        """Fires what is due now; returns how many due clocks it handled (0: idle)."""
        started = time.perf_counter()
        now = self.deps.now()
        with self.deps.uow() as u:
            rows = u.session.execute(self._due(u), {"b_now": now}).all()
            fired = self._claim(u, rows, now)
            if fired is None:
                return 0  # another instance fired some of these meanwhile: look again
            if fired:
                self._record(u, fired, now)
            u.commit()
        for f in fired:
            counter = metrics.SLA_WARNINGS if f.firing == "warning" else metrics.SLA_BREACHES
            counter.labels(f.clock.name).inc()
            metrics.FIRE_DELAY.observe(max(0.0, (now - f.due).total_seconds()))
        if time.monotonic() - self._gauged > self.gauge_every:
            self.refresh_gauges()
        metrics.TICK_DURATION.observe(time.perf_counter() - started)
        return len(rows)

    def _due(self, u: UnitOfWork) -> Any:
        if is_postgres(u.session.get_bind()):
            return self._due_locked
        return self._due_query

    @staticmethod
    def _claim(u: UnitOfWork, rows: Sequence[Any], now: datetime) -> list[Fired] | None:
        """Moves each clock past what it fires, guarded by the `next_fire_at` read; None when
        any row had been moved by someone else (the caller rolls back and looks again)."""
        claims: list[dict[str, Any]] = []
        fired: list[Fired] = []
        for row in rows:
            clock = repository.clock_of(row)
            fired.extend(Fired(row, clock, firing, now) for firing in clock.fire_due(now))
            state = repository.clock_values(clock)
            values = {f"v_{name}": state[name] for name in _STATE}
            claims.append({"b_id": row.id, "b_old": row.next_fire_at, **values})
        if not claims:
            return []
        if u.session.get_bind().dialect.supports_sane_multi_rowcount:
            done = repository.changed(u.session.execute(_CLAIM, claims))
        else:
            done = sum(repository.changed(u.session.execute(_CLAIM, c)) for c in claims)
        return fired if done == len(claims) else None

    @staticmethod
    def _record(u: UnitOfWork, fired: list[Fired], now: datetime) -> None:
        """Events, history, the assignments' SLA state and the supervision list, in bulk."""
        ids = list({f.row.assignment_id: None for f in fired})
        current = u.session.execute(_CURRENT, {"b_ids": ids}).all()
        states: dict[str, SlaState] = {row.id: row.sla_state for row in current}
        events: list[tuple[Event, str]] = []
        for f in fired:
            aid = f.row.assignment_id
            states[aid] = escalate(states.get(aid, "on_time"), f.firing)
            events.append((f.event(states[aid]), f.row.ticket_id))
        breached = {f.row.assignment_id: f for f in fired if f.firing == "breach"}
        already = {row.id for row in current if row.supervised}
        breaches = [
            (f.row.assignment_id, f.row.department_code, f.clock.name)
            for f in fired
            if f.firing == "breach"
        ]
        opened = supervise_after_breaches(breaches, already, now)
        events += [(s, breached[s.assignment_id].row.ticket_id) for s in opened]
        u.publish_all(events, occurred_at=now)
        repository.record_activity(u.session, [e for e, _ in events], now)
        warned = {f.row.assignment_id for f in fired if f.firing == "warning"} - set(breached)
        if breached:
            u.session.execute(_MARK_BREACHED, {"b_ids": list(breached)})
        if warned:
            u.session.execute(_MARK_WARNED, {"b_ids": list(warned)})
        if opened:
            u.session.execute(insert(supervisions), [_supervision(s, breached) for s in opened])

    def refresh_gauges(self) -> None:
        """Open assignments by department and SLA state (paused while waiting on a citizen)."""
        state = case((_A.waiting.is_(True), "paused"), else_=_A.sla_state)
        query = (
            select(_A.department_code, state.label("state"), func.count())
            .where(_A.status.in_(OPEN))
            .group_by(_A.department_code, state)
        )
        with self.deps.uow() as u:
            rows = u.session.execute(query).all()
            codes = list(u.session.scalars(select(departments.c.code)))
        metrics.declare(codes)
        metrics.set_open_assignments(codes, {(d, s): n for d, s, n in rows})
        self._gauged = time.monotonic()


def _supervision(opened: AssignmentSupervised, breached: dict[str, Fired]) -> dict[str, Any]:
    return {
        "assignment_id": opened.assignment_id,
        "ticket_id": breached[opened.assignment_id].row.ticket_id,
        "department_code": opened.department_code,
        "reason": opened.reason,
        "opened_by": opened.by,
        "opened_at": opened.at,
    }
