"""Appeals (申诉): department staff file them; dispatchers and leaders decide; leaders may
reverse a decision. Thin routes over handlers.appeals."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from proto.feedback import AppealKind, AppealOutcome
from services.common.auth import Principal, Role, require_roles
from services.common.errors import NotFound
from services.common.idempotency import Idempotent
from services.common.openapi import problem_answers
from services.common.text import CLEAN
from services.feedback.domain.appeals import MAX_PHOTOS, PHOTO_ID, is_photo_id
from services.feedback.handlers import appeals
from services.feedback.handlers.context import FeedbackContext

Staff = Annotated[Principal, Depends(require_roles(Role.dept_staff))]
Deciders = Annotated[Principal, Depends(require_roles(Role.dispatcher, Role.leader))]
Readers = Annotated[
    Principal, Depends(require_roles(Role.dept_staff, Role.dispatcher, Role.leader, Role.admin))
]
# Ids are opaque tokens; nothing else (a NUL, say) reaches a query.
ID = r"^[A-Za-z0-9_-]{1,64}$"
AppealId = Annotated[str, PathParam(pattern=ID)]
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), CLEAN
]


def _photo_id(value: str) -> str:
    if not is_photo_id(value):
        raise PydanticCustomError("appeal_photo_id", "not a photo id from the upload")
    return value


def _distinct(ids: list[str]) -> list[str]:
    if len(set(ids)) != len(ids):
        raise PydanticCustomError("appeal_photos_repeated", "the same photo twice")
    return ids


Photos = Annotated[
    list[
        Annotated[
            str,
            AfterValidator(_photo_id),
            WithJsonSchema({"type": "string", "pattern": PHOTO_ID}),
        ]
    ],
    Field(max_length=MAX_PHOTOS, description="Photo ids from intake's upload, at most 3"),
    AfterValidator(_distinct),
]


class AppealCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assignment_id: str = Field(pattern=ID, description="The department's own assignment")
    kind: AppealKind = Field(
        description="not_ours: the assignment; outside_policy / citizen_unreachable: the "
        "assessment of the department's work on the ticket"
    )
    reason: Reason
    photos: Photos = Field(default_factory=list)


class DecisionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: AppealOutcome
    reason: Reason


class ReversalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


class StepRead(BaseModel):
    action: Literal["filed", "decided", "reversed"]
    outcome: AppealOutcome | None
    reason: str
    by: str
    at: datetime


class AppealRead(BaseModel):
    appeal_id: str
    ticket_id: str
    number: str | None
    department_code: str
    assignment_id: str | None
    kind: AppealKind
    reason: str
    photos: list[str]
    status: Literal["pending", "upheld", "rejected"]
    filed_by: str
    filed_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    steps: list[StepRead]


class FiledRead(BaseModel):
    appeal_id: str
    status: Literal["pending"] = "pending"


class DecidedRead(BaseModel):
    appeal_id: str
    status: AppealOutcome
    excluded: bool = Field(description="The ticket now counts in none of the department's rates")


def router(fb: FeedbackContext, window: timedelta) -> APIRouter:
    api = APIRouter(prefix="/api/v1/appeals", tags=["appeals"])

    @api.post("", status_code=201, dependencies=[Idempotent], responses=problem_answers(NotFound))
    def file(body: AppealCreate, user: Staff) -> FiledRead:
        """Files the department's appeal against its own assignment or assessment, within
        the window (HOTLINE_FEEDBACK_APPEAL_WINDOW_DAYS)."""
        filing = appeals.Filing(body.assignment_id, body.kind, body.reason, body.photos)
        return FiledRead(appeal_id=appeals.file(fb, window, user, filing))

    @api.get("")
    def listed(
        user: Readers,
        status: Literal["pending", "upheld", "rejected"] | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 200,
    ) -> list[AppealRead]:
        """Newest first; department staff see their own department's."""
        return [AppealRead.model_validate(a) for a in appeals.listed(fb, user, status, limit)]

    @api.post("/{appeal_id}/decision", dependencies=[Idempotent])
    def decide(appeal_id: AppealId, body: DecisionCreate, user: Deciders) -> DecidedRead:
        status, excluded = appeals.decide(fb, user, appeal_id, body.outcome, body.reason)
        return DecidedRead(appeal_id=appeal_id, status=status, excluded=excluded)

    @api.post("/{appeal_id}/reversal", dependencies=[Idempotent])
    def reverse(appeal_id: AppealId, body: ReversalCreate, user: Deciders) -> DecidedRead:
        """Turns the decision round (upheld ⇄ rejected); leaders only."""
        status, excluded = appeals.reverse(fb, user, appeal_id, body.reason)
        return DecidedRead(appeal_id=appeal_id, status=status, excluded=excluded)

    return api
