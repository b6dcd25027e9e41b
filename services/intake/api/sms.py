"""The SMS outbox as operators see it: masked numbers, texts, delivery state."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from services.common.auth import Role, require_roles
from services.intake.api.models import SmsRead
from services.intake.api.privacy import NoStore
from services.intake.handlers import sms
from services.intake.handlers.context import IntakeContext

Status = Literal["pending", "sent", "failed", "no_number"]


def router(intake: IntakeContext) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["sms"], dependencies=[NoStore])

    @api.get("/sms", dependencies=[Depends(require_roles(Role.admin))])
    def sms_outbox(
        status: Status | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 100
    ) -> list[SmsRead]:
        return [SmsRead(**row) for row in sms.outbox(intake, limit, status)]

    return api
