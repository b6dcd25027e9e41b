"""Thin routes over assignments; staff see only their own department's."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import Row, select

from services.common.auth import CurrentUser, Principal, Role, require_roles
from services.common.db import UnitOfWorkFactory
from services.common.problems import Problem
from services.dispatch.adapters.orm import assignments

Readers = Depends(require_roles(Role.dispatcher, Role.dept_staff, Role.leader))


class AssignmentRead(BaseModel):
    id: str
    ticket_id: str
    department_code: str
    department_name: str
    rule: str
    status: str
    dispatched_at: datetime

    @classmethod
    def of(cls, row: Row[tuple[object, ...]]) -> AssignmentRead:
        return cls.model_validate(dict(row._mapping))


def _scope(user: Principal) -> str | None:
    """The department a user is confined to, or None for those who see all."""
    return user.department if user.role == Role.dept_staff else None


def router(uow: UnitOfWorkFactory) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["dispatch"], dependencies=[Readers])

    @api.get("/assignments")
    def list_assignments(
        user: CurrentUser,
        ticket_id: str | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> list[AssignmentRead]:
        query = select(assignments).order_by(assignments.c.dispatched_at.desc()).limit(limit)
        if (department := _scope(user)) is not None:
            query = query.where(assignments.c.department_code == department)
        if ticket_id is not None:
            query = query.where(assignments.c.ticket_id == ticket_id)
        with uow() as u:
            return [AssignmentRead.of(r) for r in u.session.execute(query)]

    @api.get("/assignments/{assignment_id}")
    def get_assignment(assignment_id: str, user: CurrentUser) -> AssignmentRead:
        with uow() as u:
            row = u.session.execute(
                select(assignments).where(assignments.c.id == assignment_id)
            ).first()
        # Another department's assignment is indistinguishable from a missing one.
        department = _scope(user)
        if row is None or (department is not None and row.department_code != department):
            raise Problem(404, "dispatch.assignment_not_found", id=assignment_id)
        return AssignmentRead.of(row)

    return api
