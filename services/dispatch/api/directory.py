"""Departments, the category catalogue dispatch knows, and the routing rules admins edit."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from services.common.auth import CurrentUser, Role, require_roles
from services.common.idempotency import Idempotent
from services.dispatch.adapters import queries
from services.dispatch.api.models import (
    CategoryRead,
    DepartmentRead,
    RuleCreate,
    RuleRead,
    RuleUpdate,
)
from services.dispatch.domain.routing import Rule
from services.dispatch.handlers import rules
from services.dispatch.handlers.context import DispatchContext

Anyone = Depends(require_roles(Role.agent, Role.dispatcher, Role.dept_staff, Role.leader))
Admins = Depends(require_roles(Role.admin))
# Rule edits: the guard first, then the key (scoped to the admin).
Edits = [Admins, Idempotent]


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

    @api.get("/routing-rules", dependencies=[Depends(require_roles(Role.dispatcher))])
    def list_rules() -> list[RuleRead]:
        with deps.uow() as u:
            return [RuleRead.model_validate(r) for r in queries.rule_list(u.session)]

    _editing(api, deps)
    return api


def _editing(api: APIRouter, deps: DispatchContext) -> None:
    def read(rule_id: str) -> RuleRead:
        with deps.uow() as u:
            found = [r for r in queries.rule_list(u.session) if r["id"] == rule_id]
        return RuleRead.model_validate(found[0])

    @api.post("/routing-rules", status_code=201, dependencies=Edits)
    def create_rule(body: RuleCreate, user: CurrentUser) -> RuleRead:
        rule = Rule(body.id, body.department, body.category, body.area, tuple(body.co))
        rules.create(deps, user, rules.RuleDraft(rule, body.note, body.position))
        return read(body.id)

    @api.put("/routing-rules/{rule_id}", dependencies=Edits)
    def replace_rule(rule_id: str, body: RuleUpdate, user: CurrentUser) -> RuleRead:
        rule = Rule(rule_id, body.department, body.category, body.area, tuple(body.co))
        rules.replace(deps, user, rules.RuleDraft(rule, body.note, body.position))
        return read(rule_id)

    @api.delete("/routing-rules/{rule_id}", status_code=204, dependencies=Edits)
    def delete_rule(rule_id: str, user: CurrentUser) -> Response:
        rules.remove(deps, user, rule_id)
        return Response(status_code=204)
