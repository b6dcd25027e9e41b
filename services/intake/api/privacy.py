"""Callers' personal data: a number shown for a callback, the audit trail, a caller's
export or erasure on request. Every answer here carries `Cache-Control: no-store`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from services.common.auth import CurrentUser, Role, require_roles
from services.common.errors import Conflict, Invalid, NotFound
from services.common.openapi import problem_answers
from services.common.text import CleanText
from services.intake.api.models import (
    AuditPage,
    AuditRead,
    CallerCallRead,
    PhoneRead,
    Strict,
)
from services.intake.handlers import privacy
from services.intake.handlers.context import IntakeContext

Agents = Depends(require_roles(Role.agent))
Admins = Depends(require_roles(Role.admin))
PageSize = Annotated[int, Query(ge=1, le=200)]
Before = Annotated[int | None, Query(ge=1, description="`next_before` of the previous page")]


def no_store(response: Response) -> None:
    """Personal data must not stay in a browser's or a proxy's cache."""
    response.headers["Cache-Control"] = "no-store"


NoStore = Depends(no_store)


def router(intake: IntakeContext) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["privacy"], dependencies=[NoStore])

    # 409: the ticket's caller left no number (or it was erased).
    @api.get(
        "/tickets/{ticket_id}/phone", dependencies=[Agents], responses=problem_answers(Conflict)
    )
    def reveal_for_callback(ticket_id: str, user: CurrentUser) -> PhoneRead:
        """The number to call back (回访), for any agent while the ticket's callback is due;
        every reveal and refusal is recorded."""
        return PhoneRead(phone=privacy.reveal_for_callback(intake, ticket_id, user))

    @api.get("/phone-reveals", dependencies=[Admins])
    def phone_reveals(limit: PageSize = 50, before: Before = None) -> AuditPage:
        """Who saw (or was refused) which number, when and why; newest first."""
        return _page(privacy.audit(intake, True, before, limit), limit)

    @api.get("/privacy-audit", dependencies=[Admins])
    def privacy_audit(limit: PageSize = 50, before: Before = None) -> AuditPage:
        """Reveals, exports, erasures and retention sweeps; newest first."""
        return _page(privacy.audit(intake, False, before, limit), limit)

    @api.post("/callers/export", dependencies=[Admins], responses=problem_answers(NotFound))
    def export_caller(body: CitizenRequest, user: CurrentUser) -> CitizenExport:
        """A citizen's copy of what intake holds about them, by their number or the address
        they wrote from (PIPL art. 45); recorded."""
        if body.which() == "email":
            return CitizenExport.model_validate(privacy.export_sender(intake, body.email, user))
        found = privacy.export_caller(intake, body.phone, user)
        return CitizenExport.model_validate(found)

    @api.post(
        "/callers/erase",
        dependencies=[Admins],
        responses=problem_answers(NotFound),
        response_model_exclude_none=True,
    )
    def erase_caller(body: CitizenRequest, user: CurrentUser) -> CitizenErased:
        """Erases a citizen's number, or email address, in every form (PIPL art. 47);
        recorded."""
        if body.which() == "email":
            return CitizenErased(erased_messages=privacy.erase_sender(intake, body.email, user))
        return CitizenErased(erased_calls=privacy.erase_caller(intake, body.phone, user))

    return api


class CitizenRequest(Strict):
    phone: str = Field("", max_length=32, description="The caller's number")
    email: CleanText = Field("", max_length=254, description="Or the address they wrote from")

    def which(self) -> str:
        if bool(self.phone) == bool(self.email):
            raise Invalid("intake.caller_phone_or_email", field="phone")
        if self.phone and len(self.phone) < 5:
            raise Invalid("intake.invalid_phone", field="phone")
        return "email" if self.email else "phone"


class SenderMessageRead(BaseModel):
    message_id: str
    state: str = Field(description="ticket, duplicate, automatic or failed")
    received_at: datetime
    sender_masked: str | None
    note: str | None
    ticket_id: str | None
    ticket_number: str | None
    description: str | None
    status: str | None
    answer_status: str | None = Field(description="pending, sent or failed; null: none")
    answer_sent_at: datetime | None


class CitizenExport(BaseModel):
    phone: str | None = None
    email: str | None = None
    exported_at: datetime
    calls: list[CallerCallRead] = Field(default_factory=list)
    messages: list[SenderMessageRead] = Field(
        default_factory=list, description="By email address: the messages they wrote"
    )


class CitizenErased(BaseModel):
    """One of the two, as the request named a number or an address."""

    erased_calls: int | None = Field(default=None, description="Calls that held the number")
    erased_messages: int | None = Field(default=None, description="Messages that held the address")


def _page(rows: list[dict[str, object]], limit: int) -> AuditPage:
    items = [AuditRead.model_validate(r) for r in rows]
    return AuditPage(items=items, next_before=items[-1].id if len(items) == limit else None)
