"""What a citizen reaches with a rating link: its two API calls and the headers of its page
(served with the other pages). No login; every call is rate limited per client address."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from services.common.clients import Networks, client_address
from services.common.errors import Conflict, Gone
from services.common.idempotency import idempotent
from services.common.openapi import problem_answers
from services.common.problems import Problem
from services.common.ratelimit import FixedWindowLimiter
from services.common.text import CleanText
from services.feedback import metrics
from services.feedback.domain.answers import Answers, Satisfaction
from services.feedback.handlers import rating
from services.feedback.handlers.context import FeedbackContext

Token = Annotated[str, Field(min_length=1, max_length=512)]
# The page (served with the other pages) reads its token from the address: keep it out of
# Referer headers and caches.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
}


class AnswersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contacted: StrictBool = Field(description="Did the department contact you?")
    solved: StrictBool = Field(description="Is the problem solved?")
    satisfaction: Satisfaction
    comment: CleanText = Field(default="", max_length=500)

    def answers(self) -> Answers:
        return Answers(self.contacted, self.solved, self.satisfaction, self.comment.strip())


class RatingCreate(AnswersIn):
    token: Token


class InvitationRead(BaseModel):
    ticket_number: str | None
    category: str | None
    department_name: str | None = Field(description="null when answered at the hotline")
    kind: Literal["resolved", "answered_directly"]
    expires_at: datetime


class RatingReceipt(BaseModel):
    outcome: Literal["closed", "reopened", "supervised"] = Field(
        description="closed; or handled again (reopened), or under supervision"
    )


def rate_limited(limiter: FixedWindowLimiter, proxies: Networks) -> Callable[[Request], None]:
    def guard(request: Request) -> None:
        wait = limiter.hit(client_address(request, proxies))
        if wait is not None:
            metrics.RATE_LIMITED.inc()
            seconds = max(1, math.ceil(wait))
            headers = {"Retry-After": str(seconds)}
            raise Problem(429, "feedback.rate_limited", headers=headers, seconds=seconds)

    return guard


def router(fb: FeedbackContext, limiter: FixedWindowLimiter, proxies: Networks) -> APIRouter:
    # A link already answered (409), expired or replaced by a newer one (410).
    api = APIRouter(tags=["citizen"], responses=problem_answers(Conflict, Gone))
    limited = [Depends(rate_limited(limiter, proxies))]

    async def citizen(request: Request) -> str:
        return client_address(request, proxies)

    @api.get("/api/v1/tickets/{ticket_id}/invitation", dependencies=limited)
    def open_invitation(
        ticket_id: str, token: Annotated[str, Query(min_length=1, max_length=512)]
    ) -> InvitationRead:
        """The invitation a link stands for. 404: not a valid link (or not this ticket's);
        409: already answered; 410: expired or replaced by a newer one."""
        view = rating.open_invitation(fb, ticket_id, token)
        return InvitationRead.model_validate(view, from_attributes=True)

    @api.post(
        "/api/v1/tickets/{ticket_id}/ratings",
        status_code=201,
        dependencies=[*limited, idempotent(citizen)],
    )
    def rate(ticket_id: str, body: RatingCreate) -> RatingReceipt:
        """The citizen's one answer to an invitation (same errors as the invitation)."""
        settled = rating.rate_by_link(fb, ticket_id, body.token, body.answers())
        return RatingReceipt(outcome=settled.outcome)

    return api
