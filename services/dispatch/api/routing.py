"""Where each of a few categories would go for one place, for the agent's console beside the
categories it suggests: the answer of the router dispatch routes with, under the rules in
force now (the same walk as `POST /api/v1/routing/preview`, for several categories at once).

No department (null) when the router would leave the call to a dispatcher (no place, or a
place no rule or office covers): naming the centre that only holds it meanwhile would read as
a department. Codes dispatch does not know are no error: an unknown place is one no office
covers; an unknown category is routed as a ticket of it would be (by its place)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, StringConstraints

from services.common.auth import Role, require_roles
from services.dispatch.api.models import Input
from services.dispatch.domain.rule_problems import Explained
from services.dispatch.handlers import rule_review
from services.dispatch.handlers.context import DispatchContext

Askers = Depends(require_roles(Role.agent, Role.dispatcher))
MAX_CATEGORIES = 10  # the console asks for its top three; a little room, no bulk lookups
# ASCII digits only: `\d` also takes full-width (０１) and other scripts' digits, which name
# no code and would be answered as a place no office covers instead of refused.
AreaCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6,12}$")]
CategoryCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{2,12}$")]


class DepartmentsCreate(Input):
    area_code: AreaCode | None = None
    category_codes: list[CategoryCode] = Field(max_length=MAX_CATEGORIES)


class CategoryDepartmentRead(BaseModel):
    category_code: str
    department_code: str | None
    department_name: str | None


def router(deps: DispatchContext) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["routing rules"])

    @api.post("/routing/departments", dependencies=[Askers])
    def departments(body: DepartmentsCreate) -> list[CategoryDepartmentRead]:
        found = rule_review.previews(deps, body.category_codes, body.area_code)
        return [
            _read(code, explained)
            for code, explained in zip(body.category_codes, found, strict=True)
        ]

    return api


def _read(category_code: str, explained: Explained) -> CategoryDepartmentRead:
    if explained.kind == "review":
        return CategoryDepartmentRead(
            category_code=category_code, department_code=None, department_name=None
        )
    lead = explained.route.department
    return CategoryDepartmentRead(
        category_code=category_code, department_code=lead.code, department_name=lead.name
    )
