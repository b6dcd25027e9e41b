"""Thin routes over what feedback tracks."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import select

from services.common.auth import Role, require_roles
from services.common.db import UnitOfWorkFactory
from services.feedback.adapters.orm import assignments

Readers = Depends(require_roles(Role.agent, Role.dispatcher, Role.leader))


class TrackedAssignmentRead(BaseModel):
    assignment_id: str
    ticket_id: str
    department_code: str
    department_name: str
    status: str
    dispatched_at: datetime


def router(uow: UnitOfWorkFactory) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["feedback"], dependencies=[Readers])

    @api.get("/tickets/{ticket_id}/assignments")
    def ticket_assignments(ticket_id: str) -> list[TrackedAssignmentRead]:
        query = select(assignments).where(assignments.c.ticket_id == ticket_id)
        with uow() as u:
            rows = u.session.execute(query.order_by(assignments.c.dispatched_at)).all()
        return [TrackedAssignmentRead.model_validate(dict(r._mapping)) for r in rows]

    return api
