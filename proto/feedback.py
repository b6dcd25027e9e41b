"""Events feedback publishes on `hotline.feedback`. None names the caller."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from proto.envelope import Event
from proto.vocabulary import Satisfaction

FEEDBACK = "hotline.feedback"


class RatingRequested(Event):
    """An invitation was made; intake (which alone knows the number) texts the link. From
    now until the ticket is rated, closed or reopened, a callback (回访) is due."""

    TYPE = "RatingRequested"
    TOPIC = FEEDBACK

    invitation_id: str
    link: str = Field(
        default="",
        description="Retired: the link in clear, read only from old events (see sealed_link)",
    )
    expires_at: AwareDatetime
    department_code: str | None
    at: AwareDatetime
    round: int = Field(default=1, ge=1, description="The assignment round being rated")
    kind: Literal["resolved", "answered_directly"] = Field(
        default="resolved", description="Resolved by a department, or answered at intake"
    )
    sealed_link: str = Field(
        default="",
        description="The single-use rating link to text to the caller, encrypted (Fernet) "
        "under a key only feedback and intake hold: the bus and outboxes never see it in clear",
    )


class TicketRated(Event):
    """The citizen answered, on the page or by phone to an agent (回访)."""

    TYPE = "TicketRated"
    TOPIC = FEEDBACK

    invitation_id: str | None
    department_code: str | None
    contacted: bool
    solved: bool
    satisfaction: Satisfaction
    comment: str = ""
    via: Literal["link", "callback"]
    by: str | None = Field(description="The agent for a callback; null for the citizen")
    at: AwareDatetime
    round: int = Field(default=1, ge=1)
    assignment_id: str | None = Field(
        default=None, description="The lead assignment the rating is attributed to"
    )
    contact_on_time: bool | None = Field(
        default=None, description="Dispatch recorded the first contact by its deadline"
    )


class CallbackRecorded(Event):
    """An agent recorded the citizen's answers by phone (回访)."""

    TYPE = "CallbackRecorded"
    TOPIC = FEEDBACK

    callback_id: str
    reached: bool
    by: str
    at: AwareDatetime
    invitation_id: str | None = None
    note: str = ""


class TicketClosed(Event):
    """The citizen's answer (or their silence until the link expired) ends the ticket."""

    TYPE = "TicketClosed"
    TOPIC = FEEDBACK

    reason: Literal["satisfied", "answered_directly", "no_response", "reopen_limit"]
    at: AwareDatetime
    by: str | None = Field(
        default=None, description="The agent of a callback; null for the citizen or for expiry"
    )
    invitation_id: str | None = None


class ReopenRequested(Event):
    """重办: the citizen is not satisfied; dispatch opens a new assignment round."""

    TYPE = "ReopenRequested"
    TOPIC = FEEDBACK

    department_code: str | None
    comment: str
    reopen_count: int = Field(ge=1)
    supervise: bool = Field(description="Past the reopen limit: straight to supervision")
    at: AwareDatetime
    by: str | None = Field(
        default=None, description="The agent who recorded a callback; null for the citizen"
    )
    invitation_id: str | None = None
    assignment_id: str | None = Field(
        default=None, description="The lead assignment whose result was refused"
    )


AppealKind = Literal["not_ours", "outside_policy", "citizen_unreachable"]
AppealOutcome = Literal["upheld", "rejected"]


class AppealFiled(Event):
    """申诉: a department disputes its assignment ("not ours") or the assessment of its
    work on the ticket ("demand outside policy", "citizen unreachable")."""

    TYPE = "AppealFiled"
    TOPIC = FEEDBACK

    appeal_id: str
    department_code: str
    assignment_id: str | None = None
    kind: AppealKind
    reason: str
    photos: list[str] = Field(default_factory=list, description="Intake's photo ids")
    by: str
    at: AwareDatetime


class AppealDecided(Event):
    """A dispatcher or leader upheld or rejected the appeal, with a reason. `excluded` is
    feedback's decision, carried for readers: whether the ticket now counts in none of the
    department's rates (any of its appeals on the ticket upheld)."""

    TYPE = "AppealDecided"
    TOPIC = FEEDBACK

    appeal_id: str
    department_code: str
    kind: AppealKind
    outcome: AppealOutcome
    reason: str
    excluded: bool
    by: str
    at: AwareDatetime


class AppealReversed(Event):
    """A leader turned an earlier decision round (upheld ⇄ rejected), with a reason;
    `outcome` is the decision now, `excluded` as in AppealDecided."""

    TYPE = "AppealReversed"
    TOPIC = FEEDBACK

    appeal_id: str
    department_code: str
    kind: AppealKind
    outcome: AppealOutcome
    reason: str
    excluded: bool
    by: str
    at: AwareDatetime


EVENTS: tuple[type[Event], ...] = (
    RatingRequested,
    TicketRated,
    CallbackRecorded,
    TicketClosed,
    ReopenRequested,
    AppealFiled,
    AppealDecided,
    AppealReversed,
)
