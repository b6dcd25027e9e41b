"""Configuration changes that take effect from a date: an admin's change is kept as asked
(its kind, its key and the request body) and applied, when its time comes, by the same code
that applies a change at once, inside one transaction with the row that records it as
applied. So a change is applied exactly once, even with several instances (the due rows are
claimed with FOR UPDATE SKIP LOCKED on PostgreSQL), and a change that no longer fits the
configuration of its day (its department merged away meanwhile) fails visibly, with the
reason, instead of half-applying.

Each owning service adds the table to its metadata, names an applier per kind and runs
`apply_due` in a worker; `router` gives its admins the list of pending changes and a way to
cancel one."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Response
from pydantic import AwareDatetime, BaseModel
from sqlalchemy import Column, Index, MetaData, String, Table, Text, insert, select, update
from sqlalchemy.orm import Session

from services.common.audit import record_change
from services.common.auth import CurrentUser, Principal, Role, require_roles
from services.common.clock import utcnow
from services.common.errors import Conflict, DomainError, Invalid, NotFound
from services.common.idempotency import Idempotent
from services.common.sqltypes import UtcDateTime
from services.common.text import CleanText

log = logging.getLogger(__name__)

PENDING, APPLIED, CANCELLED, FAILED = "pending", "applied", "cancelled", "failed"


def scheduled_table(metadata: MetaData) -> Table:
    if "scheduled_changes" in metadata.tables:
        return metadata.tables["scheduled_changes"]
    table = Table(
        "scheduled_changes",
        metadata,
        Column("id", String(32), primary_key=True),
        Column("kind", String(40), nullable=False),
        Column("key", String(200), nullable=False),
        Column("payload", Text, nullable=False),  # the request body, as JSON
        Column("effective_at", UtcDateTime, nullable=False),
        Column("by_username", String(150), nullable=False),
        Column("by_name", String(200), nullable=False),
        Column("by_role", String(20), nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("state", String(16), nullable=False),
        Column("settled_at", UtcDateTime, nullable=True),
        Column("error", String(500), nullable=True),
    )
    # The worker asks only for pending rows that are due.
    Index("ix_scheduled_changes_due", table.c.state, table.c.effective_at)
    return table


# An applier does, inside the given unit of work, what the change asked; it records its own
# audit entry as an immediate change would (with `effective_at`), and raises DomainError
# when the change no longer fits.
# Units of work here are the owning service's own (a Transaction whose class carries the
# session; its ports need not name it), hence Any.
Applier = Callable[[Any, Mapping[str, Any], Principal, datetime], None]


class ScheduledRead(BaseModel):
    id: str
    kind: str
    key: str
    payload: dict[str, Any]
    effective_at: AwareDatetime
    by: str
    created_at: AwareDatetime
    state: str
    settled_at: AwareDatetime | None
    error: str | None


def schedule(
    uow: Any,
    table: Table | None = None,
    *,
    kind: str,
    key: str,
    payload: Mapping[str, Any],
    effective_at: datetime,
    by: Principal,
    now: datetime,
    summary: str = "",
) -> ScheduledRead:
    """Keeps the change for `effective_at` and audits the scheduling, in the caller's
    transaction (the caller commits). The table is the one in the unit of work's metadata
    unless given, so a use case need not reach for the service's tables."""
    table = scheduled_table(uow.metadata) if table is None else table
    row = {
        "id": uuid.uuid4().hex,
        "kind": kind,
        "key": key[:200],
        "payload": json.dumps(payload, ensure_ascii=False, default=str),
        "effective_at": effective_at,
        "by_username": by.username,
        "by_name": by.name,
        "by_role": by.role.value,
        "created_at": now,
        "state": PENDING,
    }
    uow.session.execute(insert(table).values(row))
    record_change(
        uow,
        kind=kind,
        key=key,
        action="schedule",
        by=by.username,
        at=now,
        after=dict(payload),
        summary=summary,
        effective_at=effective_at,
    )
    return _read(row | {"settled_at": None, "error": None})


def pending(session: Session, table: Table, kind: str | None = None) -> list[ScheduledRead]:
    query = select(table).where(table.c.state.in_((PENDING, FAILED)))
    if kind is not None:
        query = query.where(table.c.kind == kind)
    rows = session.execute(query.order_by(table.c.effective_at, table.c.created_at))
    return [_read(dict(r._mapping)) for r in rows]


def cancel(uow: Any, table: Table, change_id: str, by: Principal, now: datetime) -> None:
    row = _one(uow.session, table, change_id)
    if row["state"] != PENDING:
        raise Conflict("scheduled.not_pending", id=change_id)
    _settle(uow.session, table, change_id, CANCELLED, now)
    record_change(
        uow,
        kind=row["kind"],
        key=row["key"],
        action="cancel",
        by=by.username,
        at=now,
        before=json.loads(row["payload"]),
        effective_at=row["effective_at"],
    )


def apply_due(
    uow_factory: Callable[[], Any],
    table: Table,
    appliers: Mapping[str, Applier],
    now: Callable[[], datetime] = utcnow,
    batch: int = 20,
) -> int:
    """Applies every due change, oldest first, each in its own savepoint; returns how many
    were settled (applied or failed)."""
    at = now()
    with uow_factory() as uow:
        session = uow.session
        query = (
            select(table)
            .where(table.c.state == PENDING, table.c.effective_at <= at)
            .order_by(table.c.effective_at, table.c.created_at)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
        rows = [dict(r._mapping) for r in session.execute(query)]
        for row in rows:
            _apply(uow, table, appliers, row, at)
        uow.commit()
    return len(rows)


def _apply(
    uow: Any,
    table: Table,
    appliers: Mapping[str, Applier],
    row: dict[str, Any],
    at: datetime,
) -> None:
    by = Principal(row["by_username"], row["by_name"], Role(row["by_role"]))
    applier = appliers.get(row["kind"])
    try:
        if applier is None:
            raise Conflict("scheduled.unknown_kind", kind=row["kind"])
        with uow.session.begin_nested():
            applier(uow, json.loads(row["payload"]), by, row["effective_at"])
    except DomainError as exc:
        log.warning("scheduled change %s (%s) failed: %s", row["id"], row["kind"], exc.code)
        _settle(uow.session, table, row["id"], FAILED, at, f"{exc.code} {exc.params}"[:500])
        return
    _settle(uow.session, table, row["id"], APPLIED, at)


def _one(session: Session, table: Table, change_id: str) -> dict[str, Any]:
    found = session.execute(select(table).where(table.c.id == change_id)).first()
    if found is None:
        raise NotFound("scheduled.not_found", id=change_id)
    return dict(found._mapping)


def _settle(
    session: Session, table: Table, change_id: str, state: str, at: datetime, error: str = ""
) -> None:
    values = {"state": state, "settled_at": at, "error": error or None}
    session.execute(update(table).where(table.c.id == change_id).values(values))


def _read(row: Mapping[str, Any]) -> ScheduledRead:
    return ScheduledRead(
        id=row["id"],
        kind=row["kind"],
        key=row["key"],
        payload=json.loads(row["payload"]),
        effective_at=row["effective_at"],
        by=row["by_username"],
        created_at=row["created_at"],
        state=row["state"],
        settled_at=row.get("settled_at"),
        error=row.get("error"),
    )


def router(uow_factory: Callable[[], Any], table: Table, readers: tuple[Role, ...]) -> APIRouter:
    """`GET /api/v1/scheduled-changes` (pending and failed ones; `kind` filters) for
    `readers` and admins; `DELETE /api/v1/scheduled-changes/{id}` cancels, admins only."""
    api = APIRouter(prefix="/api/v1/scheduled-changes", tags=["scheduled changes"])
    read = Depends(require_roles(Role.admin, *readers))
    admins = Depends(require_roles(Role.admin))

    @api.get("", dependencies=[read])
    def list_pending(kind: CleanText | None = None) -> list[ScheduledRead]:
        with uow_factory() as uow:
            return pending(uow.session, table, kind)

    @api.delete("/{change_id}", status_code=204, dependencies=[admins, Idempotent])
    def cancel_one(change_id: str, user: CurrentUser) -> Response:
        with uow_factory() as uow:
            cancel(uow, table, change_id, user, utcnow())
            uow.commit()
        return Response(status_code=204)

    return api


def when(effective_at: datetime | None, now: datetime) -> datetime | None:
    """None means at once; a future moment schedules the change; a past one is refused,
    since a change cannot take effect before it was made."""
    if effective_at is None:
        return None
    if effective_at <= now:
        raise Invalid("scheduled.in_the_past", field="effective_at")
    return effective_at
