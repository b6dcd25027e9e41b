"""Appeals (申诉), one transaction per step: a department files one against its own
assignment or assessment; a dispatcher or leader decides it; a leader may turn the decision
round. Each step is stored with who and when, and published with feedback's decision on
whether the ticket still counts in the department's rates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from proto.envelope import new_id
from proto.feedback import AppealDecided, AppealFiled, AppealKind, AppealOutcome, AppealReversed
from services.common.auth import Principal, Role
from services.common.errors import Conflict, NotFound, Refused
from services.feedback.domain import appeals as rules
from services.feedback.handlers.context import FeedbackContext
from services.feedback.handlers.ports import Record, UnitOfWork


@dataclass(frozen=True)
class Filing:
    assignment_id: str
    kind: AppealKind
    reason: str
    photos: list[str]


def file(fb: FeedbackContext, window: timedelta, user: Principal, filing: Filing) -> str:
    """Files the appeal of the user's department; 404 for an assignment not its own, 409
    outside the window, with nothing to appeal, or with one of this kind standing."""
    now = fb.clock()
    with fb.uow() as uow:
        assignment = _own_assignment(uow, user, filing.assignment_id)
        _check_in_time(uow, assignment, filing.kind, now, window)
        appeal_id = _record_filing(uow, assignment, filing, user, now)
        uow.commit()
    return appeal_id


def _record_filing(
    uow: UnitOfWork, assignment: Record, filing: Filing, user: Principal, now: datetime
) -> str:
    ticket_id, code = assignment.ticket_id, assignment.department_code
    if (standing := uow.appeals.standing(ticket_id, code, filing.kind)) is not None:
        raise Conflict(f"feedback.appeal_{standing}", field="kind")
    appeal_id = new_id()
    fields = {
        "appeal_id": appeal_id, "department_code": code, "assignment_id": filing.assignment_id,
        "kind": filing.kind, "reason": filing.reason, "photos": filing.photos,
    }  # fmt: skip
    uow.appeals.add(
        ticket_id=ticket_id, status="pending", filed_by=user.username, filed_at=now, **fields
    )
    _step(uow, appeal_id, "filed", None, filing.reason, user, now)
    event = AppealFiled(by=user.username, at=now, **fields)
    uow.publish(event, ticket_id=ticket_id, occurred_at=now)
    return appeal_id


def decide(
    fb: FeedbackContext, user: Principal, appeal_id: str, outcome: AppealOutcome, reason: str
) -> tuple[AppealOutcome, bool]:
    """Upholds or rejects a pending appeal; returns the decision and whether the ticket is
    now excluded from the department's rates."""
    now = fb.clock()
    with fb.uow() as uow:
        appeal = _appeal(uow, appeal_id)
        status = rules.decided(appeal.status, outcome)
        excluded = _settle(uow, appeal, status, "decided", reason, user, now)
        uow.publish(
            AppealDecided(**_decision(appeal, status, reason, excluded, user, now)),
            ticket_id=appeal.ticket_id,
            occurred_at=now,
        )
        uow.commit()
    return status, excluded


def reverse(
    fb: FeedbackContext, user: Principal, appeal_id: str, reason: str
) -> tuple[AppealOutcome, bool]:
    """Turns a decided appeal's decision round (leaders only); returns the decision now and
    whether the ticket is now excluded from the department's rates."""
    if user.role is not Role.leader:
        raise Refused("feedback.appeal_reverse_leaders")
    now = fb.clock()
    with fb.uow() as uow:
        appeal = _appeal(uow, appeal_id)
        status = rules.reversed_(appeal.status)
        excluded = _settle(uow, appeal, status, "reversed", reason, user, now)
        uow.publish(
            AppealReversed(**_decision(appeal, status, reason, excluded, user, now)),
            ticket_id=appeal.ticket_id,
            occurred_at=now,
        )
        uow.commit()
    return status, excluded


def listed(
    fb: FeedbackContext, user: Principal, status: str | None, limit: int
) -> list[dict[str, Any]]:
    """Appeals newest first; department staff see their own department's only."""
    own = user.department if user.role is Role.dept_staff else None
    with fb.uow() as uow:
        return uow.appeals.listed(status, own, limit)


def _own_assignment(uow: UnitOfWork, user: Principal, assignment_id: str) -> Record:
    assignment = uow.tracking.assignment(assignment_id)
    # Another department's assignment is answered as unknown: it is none of this one's.
    if assignment is None or assignment.department_code != user.department:
        raise NotFound("feedback.assignment_not_found", field="assignment_id", id=assignment_id)
    return assignment


def _check_in_time(
    uow: UnitOfWork, assignment: Record, kind: AppealKind, now: datetime, window: timedelta
) -> None:
    if kind in rules.AGAINST_ASSIGNMENT:
        since: datetime | None = assignment.dispatched_at
    else:
        since = uow.appeals.latest_rating_at(assignment.ticket_id, assignment.department_code)
        if since is None:
            raise Conflict("feedback.appeal_nothing_assessed", field="kind")
    assert since is not None
    if not rules.within_window(since, now, window):
        days = f"{window / timedelta(days=1):g}"
        raise Conflict("feedback.appeal_window_closed", field="kind", days=days)


def _appeal(uow: UnitOfWork, appeal_id: str) -> Record:
    appeal = uow.appeals.get(appeal_id)
    if appeal is None:
        raise NotFound("feedback.appeal_not_found", id=appeal_id)
    return appeal


def _settle(
    uow: UnitOfWork,
    appeal: Record,
    status: AppealOutcome,
    action: str,
    reason: str,
    user: Principal,
    now: datetime,
) -> bool:
    uow.appeals.decide(appeal.appeal_id, status, user.username, now, reason)
    _step(uow, appeal.appeal_id, action, status, reason, user, now)
    return uow.appeals.excluded(appeal.ticket_id, appeal.department_code)


def _step(
    uow: UnitOfWork,
    appeal_id: str,
    action: str,
    outcome: str | None,
    reason: str,
    user: Principal,
    now: datetime,
) -> None:
    uow.appeals.add_step(
        step_id=new_id(), appeal_id=appeal_id, action=action, outcome=outcome, reason=reason,
        by=user.username, at=now,
    )  # fmt: skip


def _decision(
    appeal: Record,
    status: AppealOutcome,
    reason: str,
    excluded: bool,
    user: Principal,
    now: datetime,
) -> dict[str, Any]:
    return {
        "appeal_id": appeal.appeal_id,
        "department_code": appeal.department_code,
        "kind": appeal.kind,
        "outcome": status,
        "reason": reason,
        "excluded": excluded,
        "by": user.username,
        "at": now,
    }
