"""Events dispatch publishes on `hotline.assignments`. Every one says who acted and when."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from proto.envelope import Event
from proto.vocabulary import HandlingRole, SlaState

ASSIGNMENTS = "hotline.assignments"

Clock = Literal["acknowledge", "contact", "resolve"]
# Dispatch's verdict on an assignment's clocks, by severity: it only escalates.
SLA_STATES: tuple[SlaState, ...] = ("on_time", "warned", "breached")


class AssignmentDispatched(Event):
    """Dispatch chose a department that must act on a ticket."""

    TYPE = "AssignmentDispatched"
    TOPIC = ASSIGNMENTS

    assignment_id: str
    department_code: str
    department_name: str
    rule: str = Field(description="Which routing rule chose the department")
    dispatched_at: AwareDatetime
    role: HandlingRole = Field(default="lead", description="牵头 or 协办")
    round: int = Field(default=1, ge=1, description="1, then +1 for each reopening (重办)")
    deadlines: dict[Clock, AwareDatetime] = Field(default_factory=dict)
    dispatched_by: str = "routing"
    policy: str | None = Field(default=None, description="The SLA policy the clocks follow")
    note: str = Field(default="", description="A dispatcher's instruction when sent by hand")
    suggestion: Literal["accepted", "overridden", ""] = Field(
        default="",
        description="Sent by hand from the review queue while the ticket carried a category "
        "suggestion: `accepted` when the dispatcher took the suggested department, "
        "`overridden` when another; empty otherwise",
    )


class AssignmentAcknowledged(Event):
    """签收"""

    TYPE = "AssignmentAcknowledged"
    TOPIC = ASSIGNMENTS

    assignment_id: str
    department_code: str
    by: str
    at: AwareDatetime


class CitizenContacted(Event):
    """The department recorded its contact with the citizen (联系)."""

    TYPE = "CitizenContacted"
    TOPIC = ASSIGNMENTS

    assignment_id: str
    department_code: str
    note: str
    by: str
    at: AwareDatetime
    photos: list[str] = Field(
        default_factory=list,
        description="Ids of the photos taken in the field; intake serves them at /media/{id}",
    )
    on_time: bool | None = Field(
        default=None,
        description="Dispatch's verdict: the first contact came by the contact clock's "
        "deadline (later contacts repeat it); null on events from before dispatch said so",
    )


class ProgressNoted(Event):
    TYPE = "ProgressNoted"
    TOPIC = ASSIGNMENTS

    assignment_id: str
    department_code: str
    note: str
    by: str
    at: AwareDatetime


class AssignmentResolved(Event):
    """办结: the department says it is done; the citizen will be asked."""

    TYPE = "AssignmentResolved"
    TOPIC = ASSIGNMENTS

    assignment_id: str
    department_code: str
    department_name: str
    role: HandlingRole = "lead"
    outcome: str
    by: str
    at: AwareDatetime
    dispatched_at: AwareDatetime
    acknowledged_at: AwareDatetime | None = None
    contacted_at: AwareDatetime | None = None
    within_sla: bool = True
    sla_state: SlaState | None = Field(
        default=None, description="The assignment's SLA state as dispatch kept it"
    )
    photos: list[str] = Field(
        default_factory=list,
        description="Ids of the photos taken in the field; intake serves them at /media/{id}",
    )


class AssignmentReturned(Event):
    """退单: the department says it is not theirs; a dispatcher re-routes it."""

    TYPE = "AssignmentReturned"
    TOPIC = ASSIGNMENTS

    assignment_id: str
    department_code: str
    reason_code: str
    reason: str
    by: str
    at: AwareDatetime


class ExtensionRequested(Event):
    """延期 asked for."""

    TYPE = "ExtensionRequested"
    TOPIC = ASSIGNMENTS

    assignment_id: str
    department_code: str
    new_due: AwareDatetime
    reason: str
    by: str
    at: AwareDatetime
    extension_id: str | None = Field(default=None, description="Names the request to decide")


class ExtensionDecided(Event):
    TYPE = "ExtensionDecided"
    TOPIC = ASSIGNMENTS

    assignment_id: str
    department_code: str
    granted: bool
    new_due: AwareDatetime | None
    note: str = ""
    by: str
    at: AwareDatetime
    extension_id: str | None = None


class SlaWarningRaised(Event):
    """催办: a clock is close to its deadline."""

    TYPE = "SlaWarningRaised"
    TOPIC = ASSIGNMENTS

    assignment_id: str
    department_code: str
    clock: Clock
    due_at: AwareDatetime
    at: AwareDatetime
    sla_state: SlaState | None = Field(
        default=None, description="The assignment's SLA state after this warning"
    )

    @property
    def state(self) -> SlaState:
        """`sla_state`, or what an event from before it was carried implied."""
        return self.sla_state or "warned"


class SlaBreached(Event):
    """A clock passed its deadline; the assignment goes on the supervision list (督办),
    which dispatch says with an `AssignmentSupervised` of reason `sla_breach:<clock>`."""

    TYPE = "SlaBreached"
    TOPIC = ASSIGNMENTS

    assignment_id: str
    department_code: str
    clock: Clock
    due_at: AwareDatetime
    at: AwareDatetime
    sla_state: SlaState | None = Field(
        default=None, description="The assignment's SLA state after this breach"
    )

    @property
    def state(self) -> SlaState:
        """`sla_state`, or what an event from before it was carried implied."""
        return self.sla_state or "breached"


class AssignmentSupervised(Event):
    """The assignment went on the supervision list (督办), or a dispatcher acted on it. `by`
    is the dispatcher, or `scheduler` for a breach (reason `sla_breach:<clock>`), `intake`
    for repeat calls, `feedback` past the reopen limit."""

    TYPE = "AssignmentSupervised"
    TOPIC = ASSIGNMENTS

    assignment_id: str
    department_code: str
    reason: str
    by: str
    at: AwareDatetime
    action: Literal["opened", "noted", "closed"] = Field(
        default="opened", description="Put on the list, urged again, or taken off the list"
    )


class ClocksPaused(Event):
    """The department waits on the citizen: the assignment's clocks stand still."""

    TYPE = "ClocksPaused"
    TOPIC = ASSIGNMENTS

    assignment_id: str
    department_code: str
    reason: str
    by: str
    at: AwareDatetime


class ClocksResumed(Event):
    """The wait is over: the clocks run again, their deadlines moved by the pause."""

    TYPE = "ClocksResumed"
    TOPIC = ASSIGNMENTS

    assignment_id: str
    department_code: str
    deadlines: dict[Clock, AwareDatetime] = Field(default_factory=dict)
    by: str
    at: AwareDatetime


class TicketQueuedForReview(Event):
    """No rule could route the ticket confidently: a dispatcher must decide."""

    TYPE = "TicketQueuedForReview"
    TOPIC = ASSIGNMENTS

    reason: str
    at: AwareDatetime


EVENTS: tuple[type[Event], ...] = (
    AssignmentDispatched,
    AssignmentAcknowledged,
    CitizenContacted,
    ProgressNoted,
    AssignmentResolved,
    AssignmentReturned,
    ExtensionRequested,
    ExtensionDecided,
    SlaWarningRaised,
    SlaBreached,
    AssignmentSupervised,
    TicketQueuedForReview,
    ClocksPaused,
    ClocksResumed,
)
