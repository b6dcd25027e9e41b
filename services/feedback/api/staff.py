"""Routes for hotline staff: callbacks (回访) by agents, and a ticket's feedback."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from services.common.auth import Principal, Role, require_roles
from services.common.idempotency import Idempotent
from services.common.problems import field_problem
from services.common.text import CleanText
from services.feedback.api.public import AnswersIn
from services.feedback.handlers import rating, views
from services.feedback.handlers.context import FeedbackContext

Agent = Annotated[Principal, Depends(require_roles(Role.agent))]
Reader = Annotated[
    Principal, Depends(require_roles(Role.agent, Role.dispatcher, Role.leader, Role.dept_staff))
]
Overseer = Annotated[Principal, Depends(require_roles(Role.agent, Role.dispatcher, Role.leader))]


class CallbackCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reached: StrictBool = Field(description="Did the agent reach the citizen?")
    answers: AnswersIn | None = Field(
        default=None, description="The citizen's answers: required when reached, else absent"
    )
    note: CleanText = Field(default="", max_length=500)


class CallbackRead(BaseModel):
    callback_id: str
    reached: bool
    outcome: Literal["closed", "reopened", "supervised"] | None


class DueCallbackRead(BaseModel):
    ticket_id: str
    number: str | None
    category: str | None
    department_name: str | None
    kind: str
    round: int
    created_at: datetime
    expires_at: datetime
    attempts: int


class RatingRead(BaseModel):
    rating_id: str
    round: int
    department_code: str | None
    via: str
    by: str | None
    contacted: bool
    contact_on_time: bool
    solved: bool
    satisfaction: str
    comment: str
    rated_at: datetime


class InvitationSummary(BaseModel):
    invitation_id: str
    round: int
    kind: str
    department_code: str | None
    status: str
    created_at: datetime
    expires_at: datetime
    closed_at: datetime | None


class CallbackSummary(BaseModel):
    callback_id: str
    reached: bool
    note: str
    by: str
    at: datetime


class TicketFeedbackRead(BaseModel):
    ticket_id: str
    number: str | None
    status: str
    reopen_count: int
    invitations: list[InvitationSummary]
    ratings: list[RatingRead]
    callbacks: list[CallbackSummary]


class TrackedAssignmentRead(BaseModel):
    assignment_id: str
    ticket_id: str
    department_code: str
    department_name: str
    role: str
    round: int
    status: str
    dispatched_at: datetime


def router(fb: FeedbackContext) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["callbacks"])

    @api.get("/callbacks/due")
    def due(_: Agent, limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[DueCallbackRead]:
        """Tickets whose citizen has not answered yet, oldest invitation first."""
        return [DueCallbackRead.model_validate(r) for r in views.awaiting_callback(fb, limit)]

    @api.post("/tickets/{ticket_id}/callbacks", status_code=201, dependencies=[Idempotent])
    def callback(ticket_id: str, body: CallbackCreate, agent: Agent) -> CallbackRead:
        """Records a call to the citizen; its answers count like the link's and use it up."""
        if body.reached and body.answers is None:
            raise field_problem("answers", "feedback.callback_answers_required")
        if not body.reached and body.answers is not None:
            raise field_problem("answers", "feedback.callback_answers_unexpected")
        answers = body.answers.answers() if body.answers else None
        callback_id, settled = rating.record_callback(fb, ticket_id, answers, body.note, agent)
        outcome = settled.outcome if settled else None
        return CallbackRead(callback_id=callback_id, reached=body.reached, outcome=outcome)

    @api.get("/tickets/{ticket_id}/feedback")
    def ticket_feedback(ticket_id: str, user: Reader) -> TicketFeedbackRead:
        return TicketFeedbackRead.model_validate(views.ticket_feedback(fb, ticket_id, user))

    @api.get("/tickets/{ticket_id}/assignments")
    def ticket_assignments(ticket_id: str, _: Overseer) -> list[TrackedAssignmentRead]:
        rows: list[dict[str, Any]] = views.tracked_assignments(fb, ticket_id)
        return [TrackedAssignmentRead.model_validate(r) for r in rows]

    return api
