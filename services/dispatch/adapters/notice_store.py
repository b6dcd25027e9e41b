"""Notices in dispatch's database: queued with the firing that causes them, then claimed,
sent and settled by the notice worker."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from services.common.db import upsert
from services.dispatch.adapters.orm import assignments, departments, notices, tickets
from services.dispatch.adapters.repository import changed
from services.dispatch.domain.assignment import OPEN
from services.dispatch.domain.notice import Notice

_N, _D = notices.c, departments.c
_CONTACTS = select(_D.code, _D.notice_channel, _D.duty_phone, _D.webhook_url).where(
    _D.code.in_(bindparam("b_codes", expanding=True)), _D.notice_channel != "none"
)
_NUMBERS = select(tickets.c.id, tickets.c.number).where(
    tickets.c.id.in_(bindparam("b_ids", expanding=True))
)
_DUE = (
    select(notices)
    .where(_N.status == "pending", _N.next_attempt_at <= bindparam("b_now"))
    .order_by(_N.next_attempt_at)
    .limit(bindparam("b_limit"))
)
_CLAIM = (
    update(notices)
    .where(_N.id == bindparam("b_id"), _N.status == "pending", _N.attempts == bindparam("b_seen"))
    .values(attempts=_N.attempts + 1, next_attempt_at=bindparam("b_lease"))
)
_SETTLE = update(notices).where(_N.id == bindparam("b_id"))
_RECENT = select(notices).order_by(_N.created_at.desc(), _N.id).limit(bindparam("b_limit"))
_SETTINGS = select(_D.code, _D.notice_channel, _D.duty_phone, _D.webhook_url).where(
    _D.code == bindparam("b_code")
)
_SET = update(departments).where(_D.code == bindparam("b_code"))
# (assignment, ticket, department, clock, kind, due_at) of one firing.
Firing = tuple[str, str, str, str, str, datetime]


@cache
def _add(dialect: str) -> Any:
    keys = [_N.assignment_id, _N.clock, _N.kind]
    return upsert(dialect, notices).on_conflict_do_nothing(index_elements=keys)


def _notice(row: Any) -> Notice:
    m = row._mapping
    return Notice(**{k: m[k] for k in Notice.__dataclass_fields__})


class SqlNotices:
    def __init__(self, session: Session):
        self._session = session

    def queue(self, fired: Sequence[Firing], now: datetime, new_id: Callable[[], str]) -> int:
        """A pending notice per firing whose department has a channel; one that exists
        already is left alone (the unique key)."""
        codes = list({f[2] for f in fired})
        if not codes:
            return 0
        contacts = {r.code: r for r in self._session.execute(_CONTACTS, {"b_codes": codes})}
        wanted = [f for f in fired if f[2] in contacts]
        if not wanted:
            return 0
        ids = list({f[1] for f in wanted})
        numbers = {r.id: r.number for r in self._session.execute(_NUMBERS, {"b_ids": ids})}
        rows = []
        for assignment_id, ticket_id, code, clock, kind, due_at in wanted:
            contact = contacts[code]
            sms = contact.notice_channel == "sms"
            rows.append({
                "id": new_id(), "assignment_id": assignment_id,
                "ticket_number": numbers.get(ticket_id, ticket_id)[:32], "department_code": code,
                "clock": clock, "kind": kind, "due_at": due_at, "channel": contact.notice_channel,
                "recipient": (contact.duty_phone if sms else contact.webhook_url) or "",
                "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now,
            })  # fmt: skip
        self._session.execute(_add(self._session.get_bind().dialect.name), rows)
        return len(rows)

    def due(self, now: datetime, limit: int) -> list[Notice]:
        return [_notice(r) for r in self._session.execute(_DUE, {"b_now": now, "b_limit": limit})]

    def claim(self, notice: Notice, lease: timedelta, now: datetime) -> bool:
        """Takes the notice for one attempt; if the sender dies before settling, it is tried
        again once the lease ends. False: another worker took it first."""
        params = {"b_id": notice.id, "b_seen": notice.attempts, "b_lease": now + lease}
        return changed(self._session.execute(_CLAIM, params)) == 1

    def settle(self, notice_id: str, values: dict[str, Any]) -> None:
        self._session.execute(_SETTLE, values | {"b_id": notice_id})

    def recent(self, limit: int) -> list[dict[str, Any]]:
        return [dict(r._mapping) for r in self._session.execute(_RECENT, {"b_limit": limit})]

    def settings(self, code: str) -> dict[str, Any] | None:
        row = self._session.execute(_SETTINGS, {"b_code": code}).first()
        return dict(row._mapping) if row else None

    def set_settings(self, code: str, channel: str, phone: str | None, url: str | None) -> None:
        values = {"notice_channel": channel, "duty_phone": phone, "webhook_url": url}
        self._session.execute(_SET, values | {"b_code": code})


_A = assignments.c
_ALERTS = (
    select(_A.sla_state, func.count())
    .where(_A.status.in_(OPEN), _A.sla_state.in_(("warned", "breached")))
    .group_by(_A.sla_state)
)


def sla_alerts(session: Session, department: str | None) -> dict[str, int]:
    """Open assignments the scheduler warned or breached: the department's own, or all."""
    query = _ALERTS if department is None else _ALERTS.where(_A.department_code == department)
    counts: dict[str, int] = {state: n for state, n in session.execute(query)}
    return {"warned": counts.get("warned", 0), "breached": counts.get("breached", 0)}
