"""API models: XCreate / XRead shapes of the dispatch resources (never the tables)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from proto.vocabulary import (
    AssignmentStatus,
    Channel,
    ClockState,
    HandlingRole,
    RoutingState,
    SlaState,
    Urgency,
)
from services.common.text import CLEAN
from services.dispatch.domain.assignment import ReturnReason
from services.dispatch.domain.evidence import MAX_PHOTOS, PHOTO_ID, is_photo_id

Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), CLEAN
]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), CLEAN]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


def _photo_id(value: str) -> str:
    if not is_photo_id(value):
        raise PydanticCustomError("evidence_photo_id", "not a photo id from the upload")
    return value


def _distinct(ids: list[str]) -> list[str]:
    if len(set(ids)) != len(ids):
        raise PydanticCustomError("evidence_photos_repeated", "the same photo twice")
    return ids


# Ids intake's photo upload returned; intake checks they exist when it attaches them.
Photos = Annotated[
    list[
        Annotated[
            str,
            AfterValidator(_photo_id),
            # The documents say what an id looks like; the check above says it in words.
            WithJsonSchema({"type": "string", "pattern": PHOTO_ID}),
        ]
    ],
    Field(max_length=MAX_PHOTOS, description=f"Photo ids from the upload, at most {MAX_PHOTOS}"),
    AfterValidator(_distinct),
]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoteCreate(Input):
    note: Text


class ContactCreate(Input):
    note: Text
    photos: Photos = Field(default_factory=list)


class OptionalNote(Input):
    note: Note = ""


class ResolutionCreate(Input):
    outcome: Text
    photos: Photos = Field(default_factory=list)


class ReturnCreate(Input):
    reason_code: ReturnReason
    reason: Text


class ExtensionCreate(Input):
    new_due: AwareDatetime
    reason: Text


class DecisionCreate(Input):
    granted: StrictBool
    note: Note = ""


class DispatchCreate(Input):
    department_code: Code
    co: list[Code] = Field(default_factory=list, max_length=10)
    note: Note = ""


class RuleCreate(Input):
    id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,40}$")]
    department: Code
    category: Annotated[str, StringConstraints(pattern=r"^\d{2,12}$")] | None = None
    area: Annotated[str, StringConstraints(pattern=r"^\d{6,12}$")] | None = None
    co: list[Code] = Field(default_factory=list, max_length=10)
    note: Note = ""
    position: int | None = Field(default=None, ge=0)
    effective_at: AwareDatetime | None = None  # empty: at once


class RuleUpdate(Input):
    department: Code
    category: Annotated[str, StringConstraints(pattern=r"^\d{2,12}$")] | None = None
    area: Annotated[str, StringConstraints(pattern=r"^\d{6,12}$")] | None = None
    co: list[Code] = Field(default_factory=list, max_length=10)
    note: Note = ""
    position: int | None = Field(default=None, ge=0)
    effective_at: AwareDatetime | None = None  # empty: at once


class ClockRead(BaseModel):
    clock: str
    working_days: bool
    basis: Literal["natural", "working", "working_days"]
    state: ClockState
    started_at: datetime
    due_at: datetime
    warn_at: datetime
    left_seconds: float | None
    warned_at: datetime | None
    breached_at: datetime | None
    stopped_at: datetime | None


class ExtensionRead(BaseModel):
    id: str
    assignment_id: str
    ticket_id: str
    department_code: str
    new_due: datetime
    previous_due: datetime
    reason: str
    requested_by: str
    requested_at: datetime
    status: str
    decided_by: str | None
    decided_at: datetime | None
    note: str
    department_name: str | None = None
    ticket_number: str | None = None
    ticket_category_name: str | None = None


class ActivityRead(BaseModel):
    type: str
    by: str
    at: datetime
    detail: dict[str, Any]


class AssignmentRead(BaseModel):
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
    sla_state: SlaState
    dispatched_at: datetime
    dispatched_by: str
    note: str
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    contacted_at: datetime | None
    contacted_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    outcome: str
    returned_at: datetime | None
    returned_by: str | None
    return_reason_code: str | None
    return_reason: str
    waiting: bool
    supervised: bool
    next_due_at: datetime | None
    ticket_number: str | None
    ticket_category_name: str | None
    ticket_area_name: str | None
    ticket_urgency: Urgency | None
    ticket_description: str | None
    has_phone: bool | None = Field(
        default=None, description="The caller left a number (intake alone holds it)"
    )
    clocks: dict[str, ClockRead]
    pending_extension: ExtensionRead | None


class AssignmentDetail(AssignmentRead):
    history: list[ActivityRead]
    extensions: list[ExtensionRead]


class SupervisionRead(AssignmentRead):
    supervision_id: int
    supervision_reason: str
    opened_by: str
    opened_at: datetime
    closed_at: datetime | None
    closed_by: str | None


class TicketRead(BaseModel):
    id: str
    number: str
    category_code: str
    category_name: str
    area_code: str | None
    area_name: str
    urgency: Urgency
    description: str
    has_phone: bool = Field(description="The caller left a number (intake alone holds it)")
    created_at: datetime
    state: RoutingState = Field(description="Where routing stands (not the ticket's status)")
    round: int
    review_reason: str
    channel: Channel
    frequent_caller: bool = Field(
        description="Intake's cue: this caller has called more than usual today"
    )
    returned: AssignmentRead | None = None


class ReturnedRead(BaseModel):
    """Just what the returned list shows of the assignment that came back."""

    id: str
    department_code: str
    department_name: str
    returned_at: datetime | None
    returned_by: str | None
    return_reason_code: str | None
    return_reason: str


class SuggestionRead(BaseModel):
    """The category intake's suggester read in the description, and where the router sends
    it at the ticket's place now (no department when no rule or territory does)."""

    category_code: str
    category_name: str | None = Field(description="Null when dispatch does not know the code")
    confidence: float
    model_version: int | None = Field(description="Null: the cold start")
    words: list[str] = Field(description="The words that weighed most, strongest first")
    department_code: str | None
    department_name: str | None


class WaitingTicketRead(TicketRead):
    returned: ReturnedRead | None = None  # type: ignore[assignment]
    suggestion: SuggestionRead | None = Field(
        default=None, description="On the review queue: the suggestion the ticket came with"
    )


class DepartmentRead(BaseModel):
    code: str
    name: str
    kind: str
    area: str | None
    parent: str | None


class CategoryRead(BaseModel):
    code: str
    name: str
    source: str


class RuleRead(BaseModel):
    id: str
    position: int
    category: str | None
    area: str | None
    department: str
    co: list[str]
    note: str
    updated_by: str
    updated_at: datetime
