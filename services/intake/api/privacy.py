"""Callers' personal data: a number shown for a callback, the audit trail, a caller's
export or erasure on request. Every answer here carries `Cache-Control: no-store`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from services.common.auth import CurrentUser, Role, require_roles
from services.common.errors import Conflict, NotFound
from services.common.openapi import problem_answers
from services.intake.api.models import (
    AuditPage,
    AuditRead,
    CallerErased,
    CallerExport,
    CallerRequest,
    PhoneRead,
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
    def export_caller(body: CallerRequest, user: CurrentUser) -> CallerExport:
        """A caller's copy of what intake holds about them (PIPL art. 45); recorded."""
        return CallerExport.model_validate(privacy.export_caller(intake, body.phone, user))

    @api.post("/callers/erase", dependencies=[Admins], responses=problem_answers(NotFound))
    def erase_caller(body: CallerRequest, user: CurrentUser) -> CallerErased:
        """Erases a caller's number in every form (PIPL art. 47); recorded."""
        return CallerErased(erased_calls=privacy.erase_caller(intake, body.phone, user))

    return api


def _page(rows: list[dict[str, object]], limit: int) -> AuditPage:
    items = [AuditRead.model_validate(r) for r in rows]
    return AuditPage(items=items, next_before=items[-1].id if len(items) == limit else None)
