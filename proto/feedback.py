"""Events feedback publishes on `hotline.feedback`. None names the caller."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from proto.envelope import Event

FEEDBACK = "hotline.feedback"

Satisfaction = Literal["satisfied", "basically_satisfied", "dissatisfied"]


class RatingRequested(Event):
    """An invitation was made; intake (which alone knows the number) texts the link."""

    TYPE = "RatingRequested"
    TOPIC = FEEDBACK

    invitation_id: str
    link: str = Field(description="The single-use rating link to text to the caller")
    expires_at: AwareDatetime
    department_code: str | None
    at: AwareDatetime


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


class CallbackRecorded(Event):
    """An agent recorded the citizen's answers by phone (回访)."""

    TYPE = "CallbackRecorded"
    TOPIC = FEEDBACK

    callback_id: str
    reached: bool
    by: str
    at: AwareDatetime


class TicketClosed(Event):
    TYPE = "TicketClosed"
    TOPIC = FEEDBACK

    reason: Literal["satisfied", "answered_directly", "no_response", "reopen_limit"]
    at: AwareDatetime


class ReopenRequested(Event):
    """重办: the citizen is not satisfied; dispatch opens a new assignment round."""

    TYPE = "ReopenRequested"
    TOPIC = FEEDBACK

    department_code: str | None
    comment: str
    reopen_count: int = Field(ge=1)
    supervise: bool = Field(description="Past the reopen limit: straight to supervision")
    at: AwareDatetime


EVENTS: tuple[type[Event], ...] = (
    RatingRequested,
    TicketRated,
    CallbackRecorded,
    TicketClosed,
    ReopenRequested,
)
