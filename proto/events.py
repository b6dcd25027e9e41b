"""Event contracts of the call flow. A change here is additive or a new VERSION."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from proto.envelope import Event

TICKETS = "hotline.tickets"
ASSIGNMENTS = "hotline.assignments"
FEEDBACK = "hotline.feedback"
TOPICS = (TICKETS, ASSIGNMENTS, FEEDBACK)

Channel = Literal["phone", "web", "app", "email"]
RequestType = Literal["complaint", "help", "consultation", "suggestion", "report", "praise"]
Urgency = Literal["urgent", "utilities", "general", "complex"]


class TicketCreated(Event):
    """A call was accepted and recorded as a new ticket. Carries no phone number."""

    TYPE = "TicketCreated"
    TOPIC = TICKETS

    number: str = Field(description="Short human number read over the phone")
    channel: Channel
    request_type: RequestType
    category_code: str
    category_path: list[str]
    area_code: str | None
    area_path: list[str]
    urgency: Urgency
    description: str
    caller_masked: str | None = Field(description="e.g. 138****5678; null for anonymous calls")
    caller_key: str | None = Field(description="HMAC of the number, for counting repeat callers")
    created_by: str
    created_at: AwareDatetime


class AssignmentDispatched(Event):
    """Dispatch chose the department that must act on a ticket."""

    TYPE = "AssignmentDispatched"
    TOPIC = ASSIGNMENTS

    assignment_id: str
    department_code: str
    department_name: str
    rule: str = Field(description="Which routing rule chose the department")
    dispatched_at: AwareDatetime


EVENTS: tuple[type[Event], ...] = (TicketCreated, AssignmentDispatched)
