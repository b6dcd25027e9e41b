"""An assignment: one department's duty on one ticket in one round, with its clocks. Pure.

Commands check the state, change it, and record the event that says who did it and when;
the unit of work publishes `events` in the transaction that saves the change.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, get_args

from proto.assignments import (
    AssignmentAcknowledged,
    AssignmentDispatched,
    AssignmentResolved,
    AssignmentReturned,
    AssignmentSupervised,
    CitizenContacted,
    ClocksPaused,
    ClocksResumed,
    ProgressNoted,
    SlaState,
)
from proto.envelope import Event
from proto.vocabulary import AssignmentStatus, HandlingRole
from services.common.errors import Conflict, Invalid
from services.dispatch.domain.sla import CalendarFor, Clock, ClockName, state_of

OPEN: tuple[AssignmentStatus, ...] = ("dispatched", "acknowledged")
ReturnReason = Literal["not_our_duty", "wrong_address", "duplicate", "other_level", "other"]
RETURN_REASONS: tuple[str, ...] = get_args(ReturnReason)
# What a dispatcher did with a ticket's suggestion; empty when there was none to weigh.
SuggestionOutcome = Literal["accepted", "overridden", ""]
# Who puts a breached assignment on the supervision list.
SCHEDULER = "scheduler"


def breach_reason(clock: ClockName) -> str:
    return f"sla_breach:{clock}"


def supervision_opened(
    assignment_id: str, department_code: str, reason: str, by: str, now: datetime
) -> AssignmentSupervised:
    return AssignmentSupervised(
        assignment_id=assignment_id,
        department_code=department_code,
        reason=reason,
        by=by,
        at=now,
        action="opened",
    )


def supervise_after_breaches(
    breaches: Iterable[tuple[str, str, ClockName]],
    supervised: Collection[str],
    now: datetime,
) -> list[AssignmentSupervised]:
    """`Assignment.supervise` for a batch of breaches (assignment id, department, clock),
    without loading each assignment: an assignment goes on the list once, for its first
    breach, unless it already is (`supervised`)."""
    opened: dict[str, AssignmentSupervised] = {}
    for assignment_id, department, clock in breaches:
        if assignment_id not in supervised and assignment_id not in opened:
            reason = breach_reason(clock)
            opened[assignment_id] = supervision_opened(
                assignment_id, department, reason, SCHEDULER, now
            )
    return list(opened.values())


@dataclass
class Assignment:
    id: str
    ticket_id: str
    round: int
    attempt: int
    role: HandlingRole
    department_code: str
    department_name: str
    rule: str
    policy: str
    status: AssignmentStatus
    dispatched_at: datetime
    dispatched_by: str
    clocks: dict[ClockName, Clock]
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    contacted_at: datetime | None = None
    contacted_by: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    outcome: str = ""
    returned_at: datetime | None = None
    returned_by: str | None = None
    return_reason_code: str | None = None
    return_reason: str = ""
    waiting: bool = False
    supervised: bool = False
    version: int = 0
    note: str = ""
    # "accepted" / "overridden": sent by hand from the review queue against a suggestion.
    suggestion: SuggestionOutcome = ""
    events: list[Event] = field(default_factory=list, compare=False)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def sla_state(self) -> SlaState:
        return state_of(self.clocks.values())

    def dispatched(self) -> AssignmentDispatched:
        """The event announcing this assignment, with its deadlines."""
        return AssignmentDispatched(
            assignment_id=self.id,
            department_code=self.department_code,
            department_name=self.department_name,
            rule=self.rule,
            dispatched_at=self.dispatched_at,
            role=self.role,
            round=self.round,
            deadlines={name: clock.due_at for name, clock in self.clocks.items()},
            dispatched_by=self.dispatched_by,
            policy=self.policy,
            note=self.note,
            suggestion=self.suggestion,
        )

    def acknowledge(self, by: str, now: datetime) -> None:
        if self.status == "acknowledged":
            raise Conflict("dispatch.already_acknowledged")
        self._require("dispatched")
        self.status, self.acknowledged_at, self.acknowledged_by = "acknowledged", now, by
        self.clocks["acknowledge"].stop(now)
        self.record(AssignmentAcknowledged, by=by, at=now)

    def contact(self, note: str, by: str, now: datetime, photos: Sequence[str] = ()) -> None:
        self._require("acknowledged")
        if self.contacted_at is None:
            self.contacted_at, self.contacted_by = now, by
            self.clocks["contact"].stop(now)
        on_time = self.clocks["contact"].met_at(self.contacted_at)
        self.record(
            CitizenContacted, note=note, by=by, at=now, on_time=on_time, photos=list(photos)
        )

    def note_progress(self, note: str, by: str, now: datetime) -> None:
        self._require("acknowledged")
        self.record(ProgressNoted, note=note, by=by, at=now)

    def resolve(self, outcome: str, by: str, now: datetime, photos: Sequence[str] = ()) -> None:
        self._require("acknowledged")
        if self.contacted_at is None:
            raise Conflict("dispatch.contact_first")
        within = all(c.within for c in self.clocks.values())
        self.status, self.resolved_at, self.resolved_by, self.outcome = "resolved", now, by, outcome
        self._stop_all(now)
        self.record(
            AssignmentResolved,
            department_name=self.department_name,
            role=self.role,
            outcome=outcome,
            by=by,
            at=now,
            dispatched_at=self.dispatched_at,
            acknowledged_at=self.acknowledged_at,
            contacted_at=self.contacted_at,
            within_sla=within,
            sla_state=self.sla_state,
            photos=list(photos),
        )

    def give_back(self, reason_code: str, reason: str, by: str, now: datetime) -> None:
        """退单: not this department's to do; it goes back to a dispatcher."""
        if not self.is_open:
            raise Conflict("dispatch.not_open", status=self.status)
        if reason_code not in RETURN_REASONS:
            raise Invalid("dispatch.unknown_return_reason", field="reason_code", code=reason_code)
        self.status, self.returned_at, self.returned_by = "returned", now, by
        self.return_reason_code, self.return_reason = reason_code, reason
        self._stop_all(now)
        self.record(AssignmentReturned, reason_code=reason_code, reason=reason, by=by, at=now)

    def pause(self, reason: str, by: str, now: datetime, calendars: CalendarFor) -> None:
        self._require("acknowledged")
        if self.waiting:
            raise Conflict("dispatch.already_waiting")
        self.waiting = True
        for clock in self.clocks.values():
            clock.pause(now, calendars(clock.basis))
        self.record(ClocksPaused, reason=reason, by=by, at=now)

    def resume(self, by: str, now: datetime, calendars: CalendarFor) -> None:
        self._require("acknowledged")
        if not self.waiting:
            raise Conflict("dispatch.not_waiting")
        self.waiting = False
        for clock in self.clocks.values():
            clock.resume(now, calendars(clock.basis))
        deadlines = {n: c.due_at for n, c in self.clocks.items() if c.state == "running"}
        self.record(ClocksResumed, deadlines=deadlines, by=by, at=now)

    def supervise(self, reason: str, by: str, now: datetime) -> bool:
        """Puts the assignment on the supervision list; False if it already was (no event)."""
        if self.supervised:
            return False
        self.supervised = True
        self.events.append(supervision_opened(self.id, self.department_code, reason, by, now))
        return True

    def urge(self, note: str, by: str, now: datetime) -> None:
        """督办 again: a dispatcher's reminder while the assignment stays on the list."""
        if not self.supervised:
            raise Conflict("dispatch.not_supervised")
        self.record(AssignmentSupervised, reason=note, by=by, at=now, action="noted")

    def end_supervision(self, note: str, by: str, now: datetime) -> None:
        if not self.supervised:
            raise Conflict("dispatch.not_supervised")
        self.supervised = False
        self.record(AssignmentSupervised, reason=note, by=by, at=now, action="closed")

    def _require(self, status: AssignmentStatus) -> None:
        if self.status != status:
            code = "dispatch.not_acknowledged" if status == "acknowledged" else "dispatch.not_open"
            raise Conflict(code if self.is_open else "dispatch.not_open", status=self.status)

    def _stop_all(self, now: datetime) -> None:
        self.waiting = False
        for clock in self.clocks.values():
            clock.stop(now)

    def record(self, kind: type[Event], **fields: object) -> None:
        common = {"assignment_id": self.id, "department_code": self.department_code}
        self.events.append(kind(**common, **fields))
