"""延期: a department asks for a later resolve deadline, a dispatcher grants or refuses. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from proto.assignments import ExtensionDecided, ExtensionRequested
from services.common.errors import Conflict, Invalid
from services.dispatch.domain.assignment import Assignment
from services.dispatch.domain.calendar import BEIJING, Calendar
from services.dispatch.domain.sla import Policy


@dataclass
class Extension:
    id: str
    assignment_id: str
    ticket_id: str
    department_code: str
    new_due: datetime
    previous_due: datetime
    reason: str
    requested_by: str
    requested_at: datetime
    status: Literal["pending", "granted", "refused"] = "pending"
    decided_by: str | None = None
    decided_at: datetime | None = None
    note: str = ""


@dataclass(frozen=True)
class ExtensionAsk:
    id: str
    new_due: datetime
    reason: str
    by: str
    now: datetime


def request_extension(
    assignment: Assignment, ask: ExtensionAsk, policy: Policy, calendar: Calendar, pending: bool
) -> Extension:
    """Checks the ask against the clock and the policy, records ExtensionRequested."""
    clock = assignment.clocks["resolve"]
    if assignment.status != "acknowledged":
        raise Conflict("dispatch.not_acknowledged", status=assignment.status)
    if pending:
        raise Conflict("dispatch.extension_pending")
    if clock.breached_at is not None:
        raise Conflict("dispatch.extension_after_breach")
    if ask.new_due <= max(ask.now, clock.due_at):
        raise Invalid("dispatch.extension_not_later", field="new_due")
    limit = calendar.add(clock.due_at, policy.max_extension_hours * 3600)
    if ask.new_due > limit:
        latest = limit.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
        raise Invalid("dispatch.extension_beyond_policy", field="new_due", limit=latest)
    extension = Extension(
        ask.id,
        assignment.id,
        assignment.ticket_id,
        assignment.department_code,
        ask.new_due,
        clock.due_at,
        ask.reason,
        ask.by,
        ask.now,
    )
    assignment.record(
        ExtensionRequested,
        new_due=ask.new_due,
        reason=ask.reason,
        by=ask.by,
        at=ask.now,
        extension_id=ask.id,
    )
    return extension


@dataclass(frozen=True)
class Decision:
    granted: bool
    note: str
    by: str
    now: datetime


def decide_extension(
    extension: Extension,
    assignment: Assignment,
    decision: Decision,
    policy: Policy,
    calendar: Calendar,
) -> None:
    """Grants (the resolve clock moves to the new date) or refuses; records ExtensionDecided."""
    if extension.status != "pending":
        raise Conflict("dispatch.extension_decided")
    clock = assignment.clocks["resolve"]
    if decision.granted:
        if not assignment.is_open:
            raise Conflict("dispatch.not_open", status=assignment.status)
        if clock.breached_at is not None:
            raise Conflict("dispatch.extension_after_breach")
        clock.move_due(decision.now, extension.new_due, policy.warn_share, calendar)
    extension.status = "granted" if decision.granted else "refused"
    extension.decided_by, extension.decided_at, extension.note = (
        decision.by,
        decision.now,
        decision.note,
    )
    assignment.record(
        ExtensionDecided,
        granted=decision.granted,
        new_due=extension.new_due if decision.granted else None,
        note=decision.note,
        by=decision.by,
        at=decision.now,
        extension_id=extension.id,
    )
