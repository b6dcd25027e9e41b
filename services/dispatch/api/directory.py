"""Departments and the category catalogue dispatch knows (the routing rules: api/rules.py)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from services.common.auth import Role, require_roles
from services.dispatch.adapters import queries
from services.dispatch.api.models import CategoryRead, DepartmentRead
from services.dispatch.handlers.context import DispatchContext

Anyone = Depends(require_roles(Role.agent, Role.dispatcher, Role.dept_staff, Role.leader))


def router(deps: DispatchContext) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["directory"])

    @api.get("/departments", dependencies=[Anyone])
    def departments() -> list[DepartmentRead]:
        with deps.uow() as u:
            return [DepartmentRead.model_validate(r) for r in queries.department_list(u.session)]

    @api.get("/categories", dependencies=[Anyone])
    def categories() -> list[CategoryRead]:
        with deps.uow() as u:
            return [CategoryRead.model_validate(r) for r in queries.category_list(u.session)]

    return api
