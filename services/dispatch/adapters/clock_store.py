"""SLA clocks falling due and the SLA state they give assignments, in SQL, for the scheduler.

Every statement is built once (the due query once per batch size) and run over the whole
batch in one executemany or one `IN`: a statement reused with new parameters skips
SQLAlchemy's per-call compiling, which otherwise costs more than the database work when a
wave of clocks falls due."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import cache
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, case, func, insert, select, update
from sqlalchemy.orm import Session

from proto.assignments import AssignmentSupervised, SlaState
from services.dispatch.adapters import repository
from services.dispatch.adapters.orm import assignments, clocks, departments, supervisions
from services.dispatch.domain.assignment import OPEN
from services.dispatch.handlers.ports import DueClock

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
_OPEN_SUPERVISIONS = insert(supervisions)
_GAUGE_STATE = case((_A.waiting.is_(True), "paused"), else_=_A.sla_state)
_OPEN_BY_STATE = (
    select(_A.department_code, _GAUGE_STATE.label("state"), func.count())
    .where(_A.status.in_(OPEN))
    .group_by(_A.department_code, _GAUGE_STATE)
)
_DEPARTMENT_CODES = select(departments.c.code)


@cache
def _due(batch: int, locked: bool) -> Select[Any]:
    query = (
        select(clocks)
        .where(clocks.c.next_fire_at <= bindparam("b_now"))
        .order_by(clocks.c.next_fire_at)
        .limit(batch)
    )
    return query.with_for_update(skip_locked=True) if locked else query


class SqlClocks:
    def __init__(self, session: Session):
        self._session = session

    def due(self, now: Any, limit: int) -> list[DueClock]:
        bind = self._session.get_bind()
        rows = self._session.execute(_due(limit, bind.dialect.name == "postgresql"), {"b_now": now})
        return [
            DueClock(
                r.id, r.assignment_id, r.ticket_id, r.department_code, r.next_fire_at,
                repository.clock_of(r),
            )
            for r in rows
        ]  # fmt: skip

    def claim(self, due: Sequence[DueClock]) -> bool:
        claims = []
        for d in due:
            state = repository.clock_values(d.clock)
            values = {f"v_{name}": state[name] for name in _STATE}
            claims.append({"b_id": d.id, "b_old": d.read_next_fire_at, **values})
        if not claims:
            return True
        if self._session.get_bind().dialect.supports_sane_multi_rowcount:
            done = repository.changed(self._session.execute(_CLAIM, claims))
        else:
            done = sum(repository.changed(self._session.execute(_CLAIM, c)) for c in claims)
        return done == len(claims)

    def sla_of(self, assignment_ids: Collection[str]) -> dict[str, tuple[SlaState, bool]]:
        rows = self._session.execute(_CURRENT, {"b_ids": list(assignment_ids)})
        return {r.id: (r.sla_state, r.supervised) for r in rows}

    def mark(self, breached: Collection[str], warned: Collection[str]) -> None:
        if breached:
            self._session.execute(_MARK_BREACHED, {"b_ids": list(breached)})
        if warned:
            self._session.execute(_MARK_WARNED, {"b_ids": list(warned)})

    def supervise(self, opened: Sequence[tuple[AssignmentSupervised, str]]) -> None:
        rows = [
            {
                "assignment_id": s.assignment_id,
                "ticket_id": ticket_id,
                "department_code": s.department_code,
                "reason": s.reason,
                "opened_by": s.by,
                "opened_at": s.at,
            }
            for s, ticket_id in opened
        ]
        if rows:
            self._session.execute(_OPEN_SUPERVISIONS, rows)

    def open_by_state(self) -> dict[tuple[str, str], int]:
        return {(d, s): n for d, s, n in self._session.execute(_OPEN_BY_STATE)}

    def department_codes(self) -> list[str]:
        return list(self._session.scalars(_DEPARTMENT_CODES))
