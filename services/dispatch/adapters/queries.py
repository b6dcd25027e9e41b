"""Read side: what the pages and API list, straight from the tables (no domain rules)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from services.dispatch.adapters.orm import (
    activity,
    assignments,
    categories,
    clocks,
    departments,
    extensions,
    routing_rules,
    supervisions,
    tickets,
)
from services.dispatch.domain.assignment import OPEN

StatusFilter = Literal["open", "closed", "all"]
_TICKET_FIELDS = ("number", "category_name", "area_name", "urgency", "description")
_TICKET_COLUMNS = [getattr(tickets.c, f).label(f"ticket_{f}") for f in _TICKET_FIELDS]


def _base() -> tuple[Select[Any], Any]:
    # Correlated, so each listed assignment reads only its own clocks through uq_clock; a
    # grouped subquery over all clocks made every list cost as much as the whole table.
    next_due = (
        select(func.min(clocks.c.due_at))
        .where(clocks.c.assignment_id == assignments.c.id, clocks.c.state == "running")
        .correlate(assignments)
        .scalar_subquery()
        .label("next_due_at")
    )
    query = select(assignments, next_due, tickets.c.has_phone, *_TICKET_COLUMNS).join(
        tickets, tickets.c.id == assignments.c.ticket_id, isouter=True
    )
    return query, next_due


def list_assignments(
    session: Session,
    *,
    department: str | None,
    ticket_id: str | None,
    status: StatusFilter,
    by_deadline: bool,
    limit: int,
) -> list[dict[str, Any]]:
    """Assignments, the nearest deadline first (none last) or the newest first."""
    query, next_due = _base()
    if department is not None:
        query = query.where(assignments.c.department_code == department)
    if ticket_id is not None:
        query = query.where(assignments.c.ticket_id == ticket_id)
    if status != "all":
        is_open = assignments.c.status.in_(OPEN)
        query = query.where(is_open if status == "open" else ~is_open)
    if by_deadline:
        query = query.order_by(next_due.is_(None), next_due)
    query = query.order_by(assignments.c.dispatched_at.desc()).limit(limit)
    rows = [dict(r._mapping) for r in session.execute(query)]
    return _with_clocks(session, rows)


def one_assignment(session: Session, assignment_id: str) -> dict[str, Any] | None:
    query, _ = _base()
    row = session.execute(query.where(assignments.c.id == assignment_id)).first()
    if row is None:
        return None
    found = _with_clocks(session, [dict(row._mapping)])[0]
    found["history"] = history(session, assignment_id)
    found["extensions"] = [dict(r._mapping) for r in session.execute(
        select(extensions).where(extensions.c.assignment_id == assignment_id)
        .order_by(extensions.c.requested_at)
    )]  # fmt: skip
    return found


def _with_clocks(session: Session, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = [r["id"] for r in rows]
    by_assignment: dict[str, dict[str, Any]] = {i: {} for i in ids}
    if ids:
        for c in session.execute(select(clocks).where(clocks.c.assignment_id.in_(ids))):
            by_assignment[c.assignment_id][c.clock] = dict(c._mapping)
    pending = _pending_extensions(session, ids)
    for row in rows:
        row["clocks"] = by_assignment[row["id"]]
        row["pending_extension"] = pending.get(row["id"])
    return rows


def _pending_extensions(session: Session, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    query = select(extensions).where(
        extensions.c.assignment_id.in_(ids), extensions.c.status == "pending"
    )
    return {r.assignment_id: dict(r._mapping) for r in session.execute(query)}


def history(session: Session, assignment_id: str) -> list[dict[str, Any]]:
    query = select(activity).where(activity.c.assignment_id == assignment_id)
    rows = session.execute(query.order_by(activity.c.at, activity.c.id))
    return [dict(r._mapping) | {"detail": json.loads(r.detail)} for r in rows]


def waiting_tickets(session: Session, state: Literal["review", "returned"]) -> list[dict[str, Any]]:
    """Tickets a dispatcher must send on: the review queue, or those a department returned
    (with the latest return: who, when, why); the name of a suggested category beside it."""
    named = categories.c.name.label("suggested_category_name")
    query = select(tickets, named).where(tickets.c.state == state).order_by(tickets.c.created_at)
    query = query.outerjoin(categories, categories.c.code == tickets.c.suggested_category)
    rows = [dict(r._mapping) for r in session.execute(query)]
    for row in rows:
        row["returned"] = _last_return(session, row["id"]) if state == "returned" else None
    return rows


def _last_return(session: Session, ticket_id: str) -> dict[str, Any] | None:
    query = (
        select(assignments)
        .where(assignments.c.ticket_id == ticket_id, assignments.c.status == "returned")
        .order_by(assignments.c.returned_at.desc())
        .limit(1)
    )
    row = session.execute(query).first()
    return dict(row._mapping) if row else None


def extension_list(session: Session, status: str | None) -> list[dict[str, Any]]:
    query = select(
        extensions,
        assignments.c.department_name,
        tickets.c.number.label("ticket_number"),
        tickets.c.category_name.label("ticket_category_name"),
    ).join(assignments, assignments.c.id == extensions.c.assignment_id)
    query = query.join(tickets, tickets.c.id == extensions.c.ticket_id, isouter=True)
    if status is not None:
        query = query.where(extensions.c.status == status)
    return [dict(r._mapping) for r in session.execute(query.order_by(extensions.c.requested_at))]


def supervision_list(session: Session, open_only: bool) -> list[dict[str, Any]]:
    query, _ = _base()
    query = query.add_columns(
        supervisions.c.id.label("supervision_id"),
        supervisions.c.reason.label("supervision_reason"),
        supervisions.c.opened_by,
        supervisions.c.opened_at,
        supervisions.c.closed_at,
        supervisions.c.closed_by,
    ).join(supervisions, supervisions.c.assignment_id == assignments.c.id)
    if open_only:
        query = query.where(supervisions.c.closed_at.is_(None))
    rows = session.execute(query.order_by(supervisions.c.opened_at.desc()))
    return _with_clocks(session, [dict(r._mapping) for r in rows])


def department_list(session: Session) -> list[dict[str, Any]]:
    """The departments that take work (a merged one is retired: its name stays on its old
    assignments)."""
    query = select(departments).where(departments.c.retired_at.is_(None))
    query = query.order_by(departments.c.kind, departments.c.code)
    return [dict(r._mapping) for r in session.execute(query)]


def category_list(session: Session) -> list[dict[str, Any]]:
    query = select(categories).order_by(categories.c.code)
    return [dict(r._mapping) for r in session.execute(query)]


def rule_list(session: Session) -> list[dict[str, Any]]:
    query = select(routing_rules).order_by(routing_rules.c.position, routing_rules.c.id)
    return [dict(r._mapping) | {"co": json.loads(r.co)} for r in session.execute(query)]
