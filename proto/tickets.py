"""Events intake publishes on `hotline.tickets`. Additive changes only, or a new VERSION."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from proto.envelope import Event

# Re-exported: importers name them from here too.
from proto.vocabulary import CallerChannel as CallerChannel
from proto.vocabulary import Channel as Channel
from proto.vocabulary import RequestType as RequestType
from proto.vocabulary import Urgency as Urgency

TICKETS = "hotline.tickets"


CALLER_REF = (
    "Opaque reference to the caller that only intake can resolve (random, derived from "
    "nothing); null for anonymous calls"
)
RETIRED = "Retired: derived from the number, so never filled any more; read only from old events"


class CategorySuggestion(BaseModel):
    """What intake's category suggester made of the caller's words when the ticket was
    created: the dispatcher's review queue shows it without asking intake."""

    # Tolerant like the events that carry it: a later field must not fail older readers.
    model_config = ConfigDict(frozen=True, extra="ignore")

    category_code: str = Field(description="The leaf the suggester ranked first")
    confidence: float = Field(ge=0, le=1)
    model_version: int | None = Field(
        description="The serving model's version; null for the cold start (catalogue and "
        "knowledge base only)"
    )
    words: list[str] = Field(
        default_factory=list,
        description="The fragments of the description that weighed most for the leaf, "
        "strongest first",
    )


class TicketCreated(Event):
    """A call was accepted and recorded as a new ticket. Carries nothing derived from the
    caller's number: intake alone maps `caller_ref` to the caller."""

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
    caller_masked: str | None = Field(default=None, description=RETIRED)
    caller_key: str | None = Field(default=None, description=RETIRED)
    created_by: str
    created_at: AwareDatetime
    address: str = Field(
        default="", description="Where exactly, in the caller's words (building, gate, ...)"
    )
    answered_directly: bool = Field(
        default=False,
        description="Closed at intake with an answer (a TicketAnsweredDirectly follows): "
        "nothing to dispatch",
    )
    caller_ref: str | None = Field(default=None, description=CALLER_REF)
    has_phone: bool = Field(default=False, description="The caller left a number")
    review: str = Field(
        default="",
        description="Why a dispatcher must look before any rule routes it (e.g. citizen_unsure, "
        "email); empty when routing may decide",
    )
    photos: list[str] = Field(
        default_factory=list,
        description="Ids of the photos the citizen attached; intake serves them at /media/{id}",
    )
    frequent_caller: bool = Field(
        default=False,
        description="The caller filed more requests today than the configured number (a cue "
        "for staff, never a block)",
    )
    suggestion: CategorySuggestion | None = Field(
        default=None,
        description="The category the suggester read in the description (null when it read "
        "none, or for a ticket answered at intake)",
    )
    source: str = Field(
        default="",
        description="For a proactive ticket (channel `proactive`, 未诉先办): what it was opened "
        "from, `hotspot:<category>@<street>` or `theme:<theme id>`; empty otherwise",
    )

    @property
    def with_number(self) -> bool:
        """Whether the caller left a number, in this event or in one from before has_phone."""
        return self.has_phone or self.caller_masked is not None


class CallAttached(Event):
    """Another call about the same problem was attached to an existing ticket (重复件)."""

    TYPE = "CallAttached"
    TOPIC = TICKETS

    call_id: str
    channel: Channel
    caller_masked: str | None = Field(default=None, description=RETIRED)
    caller_key: str | None = Field(default=None, description=RETIRED)
    calls: int = Field(ge=2, description="Calls on the ticket, this one included")
    attached_by: str
    attached_at: AwareDatetime
    request_type: RequestType | None = None
    description: str = Field(default="", description="What this caller said")
    caller_ref: str | None = Field(default=None, description=CALLER_REF)
    has_phone: bool = Field(default=False, description="This caller left a number")

    @property
    def with_number(self) -> bool:
        return self.has_phone or self.caller_masked is not None


class TicketAnsweredDirectly(Event):
    """A consultation answered at intake from the knowledge base (直接答复); the ticket is
    closed at intake and still offered for rating."""

    TYPE = "TicketAnsweredDirectly"
    TOPIC = TICKETS

    answer: str
    knowledge_entry_id: str | None
    answered_by: str
    answered_at: AwareDatetime


class TicketRaisedForSupervision(Event):
    """The ticket needs a supervisor's attention (督办), e.g. its third call."""

    TYPE = "TicketRaisedForSupervision"
    TOPIC = TICKETS

    reason: Literal["repeat_calls"]
    calls: int
    raised_at: AwareDatetime
    raised_by: str | None = Field(
        default=None, description="The agent whose attached call made it due"
    )


EVENTS: tuple[type[Event], ...] = (
    TicketCreated,
    CallAttached,
    TicketAnsweredDirectly,
    TicketRaisedForSupervision,
)
