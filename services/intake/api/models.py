"""API models (XCreate / XUpdate / XRead); tables and domain objects never leak out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from proto.tickets import CallerChannel, RequestType, Urgency
from proto.vocabulary import StoredTicketStatus
from services.common.text import CLEAN, CleanText
from services.intake.domain.duplicates import Kind
from services.intake.domain.model import DirectAnswer, LogCall, Ticket

Keyword = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20), CLEAN
]
# Optional free text: the constraints sit inside, before CLEAN (see services.common.text).
Address = Annotated[str, StringConstraints(max_length=200), CLEAN]
CategoryName = Annotated[str, StringConstraints(min_length=1, max_length=50), CLEAN]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AnswerCreate(Strict):
    text: CleanText = Field(min_length=1, max_length=4000, description="What the caller was told")
    entry_id: str | None = Field(None, max_length=32, description="Knowledge entry used")


class CallCreate(Strict):
    channel: CallerChannel = "phone"  # `proactive` tickets have their own route
    request_type: RequestType
    category_code: str = Field(min_length=1, max_length=32)
    area_code: str | None = Field(None, min_length=1, max_length=32)
    address: Address | None = Field(
        None, description="Free text; resolved to the library without area_code"
    )
    urgency: Urgency = "general"
    description: CleanText = Field(min_length=1, max_length=4000)
    caller_phone: str | None = Field(None, max_length=32, description="Omit for anonymous calls")
    duplicate_of: str | None = Field(
        None, min_length=1, max_length=32, description="Attach to this open ticket instead"
    )
    answer: AnswerCreate | None = Field(None, description="Answer a consultation directly")
    form_seconds: float | None = Field(
        None, ge=0, le=86_400, description="Time from opening the form to submitting it"
    )
    photos: list[Annotated[str, StringConstraints(min_length=1, max_length=40)]] = Field(
        default_factory=list,
        max_length=3,
        description="Ids from POST /api/v1/photos, attached to the new ticket",
    )

    def command(self) -> LogCall:
        answer = DirectAnswer(self.answer.text, self.answer.entry_id) if self.answer else None
        data = self.model_dump(exclude={"answer", "photos"})
        return LogCall(**data, answer=answer, photos=tuple(self.photos))


class TicketRead(BaseModel):
    id: str
    number: str
    channel: str
    request_type: str
    category_code: str
    category_path: list[str]
    area_code: str | None
    area_path: list[str]
    address: str | None
    urgency: str
    description: str
    caller_masked: str | None
    status: StoredTicketStatus
    status_at: datetime | None
    department_name: str | None
    calls: int
    created_by: str
    created_at: datetime
    closed_at: datetime | None
    answer: str | None
    knowledge_entry_id: str | None
    catalogue_version: int
    frequent_caller: bool = Field(
        False, description="The caller had made more requests that day than the threshold"
    )

    @classmethod
    def of(cls, ticket: Ticket) -> TicketRead:
        return cls.model_validate(ticket, from_attributes=True)


class CallLogged(TicketRead):
    call_id: str
    outcome: str = Field(description="created, attached or answered")


class DuplicateRead(BaseModel):
    ticket: TicketRead
    score: float
    same_category: bool
    similarity: float
    kind: Kind = Field(
        description="Why it is offered: the same category at the place, similar wording, "
        "or the same problem said in other words along the street"
    )
    meaning: float = Field(description="TF-IDF cosine to the typed text, 0 when nothing shared")
    why: list[str] = Field(description="Shared fragments of the ticket's text, weightiest first")


class RecentCallRead(BaseModel):
    call_id: str
    taken_at: datetime
    caller_masked: str | None
    revealable: bool = Field(description="The number may be shown to this agent now")
    ticket: TicketRead


class PhoneRead(BaseModel):
    phone: str


class AuditRead(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str = Field(description="reveal, export, erase or retention")
    outcome: str = Field(description="revealed, refused or done")
    reason: str = Field(description="logged or callback for a reveal; request; the retention rule")
    ticket_id: str | None
    call_id: str | None
    caller_ref: str | None
    records: int


class AuditPage(BaseModel):
    items: list[AuditRead]
    next_before: int | None = Field(description="Pass as `before` for the next (older) page")


class CallerRequest(Strict):
    phone: str = Field(min_length=5, max_length=32, description="The caller's number")


class CallerCallRead(BaseModel):
    call_id: str
    ticket_id: str
    ticket_number: str
    channel: str
    request_type: str
    description: str
    caller_masked: str | None
    caller_ref: str | None
    taken_at: datetime
    category_path: list[str]
    address: str | None
    status: StoredTicketStatus
    created_at: datetime
    closed_at: datetime | None


class CallerExport(BaseModel):
    phone: str
    exported_at: datetime
    calls: list[CallerCallRead]


class CallerErased(BaseModel):
    erased_calls: int


class AreaRead(BaseModel):
    code: str
    name: str
    path: list[str]
    level: int
    lat: float | None = None
    lon: float | None = None
    score: float | None = None


class SmsRead(BaseModel):
    id: str
    ticket_id: str
    ticket_number: str | None
    purpose: str
    caller_masked: str | None
    text: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
