"""The routing rules: dispatchers read them, ask where a call would go and what is wrong with
them; admins edit them, at once or from a later date."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, Field, StringConstraints

from services.common.auth import CurrentUser, Role, require_roles
from services.common.errors import FieldError, Invalid
from services.common.i18n import negotiate, register, t
from services.common.idempotency import Idempotent
from services.common.scheduled import ScheduledRead
from services.dispatch.adapters import queries
from services.dispatch.adapters.rule_store import rule_history
from services.dispatch.api.models import Code, Input, RuleCreate, RuleRead, RuleUpdate
from services.dispatch.domain.routing import Department, Rule
from services.dispatch.domain.rule_problems import Problem
from services.dispatch.handlers import rule_review, rules
from services.dispatch.handlers.context import DispatchContext

MESSAGES = {
    "dispatch.rule_shadowed": {
        "zh": "规则 {rule} 永远不会生效：排在它前面的规则 {other} 已涵盖它的全部情形"
        "（分类 {category}，区域 {area}）。",
        "en": "Rule {rule} can never match: rule {other}, before it, already takes all its "
        "calls (category {category}, area {area}).",
    },
    "dispatch.rule_contradicts": {
        "zh": "规则 {rule} 与规则 {other} 针对同一分类和区域（{category} × {area}），"
        "却指定了不同的承办单位。",
        "en": "Rules {rule} and {other} are for the same category and area "
        "({category} × {area}) but name different departments.",
    },
    "dispatch.rule_listed_twice": {
        "zh": "规则 {code} 在草稿中出现了不止一次。",
        "en": "Rule {code} appears more than once in the draft.",
    },
}

Readers = Depends(require_roles(Role.dispatcher))
# Rule edits: the guard first, then the key (scoped to the admin).
Edits = [Depends(require_roles(Role.admin)), Idempotent]
SCHEDULED: dict[int | str, dict[str, Any]] = {
    202: {"model": ScheduledRead, "description": "Kept for `effective_at`"}
}

RuleId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,40}$")]
CategoryCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{2,12}$")]
AreaCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6,12}$")]


class DraftRule(Input):
    """A rule of a draft rule set, in its place."""

    id: RuleId
    department: Code
    category: CategoryCode | None = None
    area: AreaCode | None = None
    co: list[Code] = Field(default_factory=list, max_length=10)


class PreviewCreate(Input):
    category: CategoryCode
    area: AreaCode | None = None  # a street, community or district code
    rules: list[DraftRule] | None = Field(default=None, max_length=1000)  # None: the saved ones


class CheckCreate(Input):
    rules: list[DraftRule] = Field(max_length=1000)


class MoveCreate(Input):
    position: int = Field(ge=0)
    effective_at: AwareDatetime | None = None  # empty: at once


class DepartmentRef(BaseModel):
    code: str
    name: str
    kind: str


class PreviewRead(BaseModel):
    """Where the call goes and why: by a rule (its category and area prefixes), by
    territory (the area prefix of the office), or to the review queue (`reason`)."""

    outcome: Literal["rule", "territory", "review"]
    route: str
    rule_id: str | None
    category_prefix: str | None
    area_prefix: str | None
    lead: DepartmentRef
    co: list[DepartmentRef]
    reason: str
    draft: bool


class ProblemRead(BaseModel):
    kind: Literal["shadowed", "contradicts"]
    rule: str
    other: str
    category: str | None
    area: str | None
    message: str


class RuleChangeRead(BaseModel):
    id: int
    rule_id: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    by: str
    at: AwareDatetime


def router(deps: DispatchContext) -> APIRouter:
    register(MESSAGES)
    api = APIRouter(prefix="/api/v1", tags=["routing rules"])
    _reading(api, deps)
    _editing(api, deps)
    return api


def _reading(api: APIRouter, deps: DispatchContext) -> None:
    @api.get("/routing-rules", dependencies=[Readers])
    def list_rules() -> list[RuleRead]:
        with deps.uow() as u:
            return [RuleRead.model_validate(r) for r in queries.rule_list(u.session)]

    @api.get("/routing-rules/problems", dependencies=[Readers])
    def problems(request: Request) -> list[ProblemRead]:
        return _problems(request, rule_review.problems(deps))

    @api.post("/routing-rules/check", dependencies=[Readers])
    def check(body: CheckCreate, request: Request) -> list[ProblemRead]:
        return _problems(request, rule_review.problems(deps, _draft(body.rules)))

    @api.get("/routing-rules/history", dependencies=[Readers])
    def history(
        rule_id: Annotated[RuleId | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> list[RuleChangeRead]:
        with deps.uow() as u:
            rows = rule_history(u.session, rule_id, limit)
        return [RuleChangeRead.model_validate(r) for r in rows]

    @api.post("/routing/preview", dependencies=[Readers])
    def preview(body: PreviewCreate) -> PreviewRead:
        draft = None if body.rules is None else _draft(body.rules)
        found = rule_review.preview(deps, body.category, body.area, draft)
        return PreviewRead(
            outcome=found.kind,
            route=found.route.rule,
            rule_id=found.rule_id,
            category_prefix=found.category_prefix,
            area_prefix=found.area_prefix,
            lead=_ref(found.route.department),
            co=[_ref(d) for d in found.route.co],
            reason=found.route.reason,
            draft=draft is not None,
        )


def _editing(api: APIRouter, deps: DispatchContext) -> None:
    def read(rule_id: str) -> RuleRead:
        with deps.uow() as u:
            found = [r for r in queries.rule_list(u.session) if r["id"] == rule_id]
        return RuleRead.model_validate(found[0])

    @api.post(
        "/routing-rules",
        status_code=201,
        dependencies=Edits,
        response_model=RuleRead,
        responses=SCHEDULED,
    )
    def create_rule(body: RuleCreate, user: CurrentUser) -> Any:
        rule = Rule(body.id, body.department, body.category, body.area, tuple(body.co))
        draft = rules.RuleDraft(rule, body.note, body.position)
        return _later(rules.create(deps, user, draft, body.effective_at)) or read(body.id)

    @api.put(
        "/routing-rules/{rule_id}", dependencies=Edits, response_model=RuleRead, responses=SCHEDULED
    )
    def replace_rule(rule_id: RuleId, body: RuleUpdate, user: CurrentUser) -> Any:
        rule = Rule(rule_id, body.department, body.category, body.area, tuple(body.co))
        draft = rules.RuleDraft(rule, body.note, body.position)
        return _later(rules.replace(deps, user, draft, body.effective_at)) or read(rule_id)

    @api.post(
        "/routing-rules/{rule_id}/move",
        dependencies=Edits,
        response_model=RuleRead,
        responses=SCHEDULED,
    )
    def move_rule(rule_id: RuleId, body: MoveCreate, user: CurrentUser) -> Any:
        found = rules.move(deps, user, rule_id, body.position, body.effective_at)
        return _later(found) or read(rule_id)

    @api.delete(
        "/routing-rules/{rule_id}", status_code=204, dependencies=Edits, responses=SCHEDULED
    )
    def delete_rule(
        rule_id: RuleId,
        user: CurrentUser,
        effective_at: Annotated[AwareDatetime | None, Query()] = None,
    ) -> Response:
        found = rules.remove(deps, user, rule_id, effective_at)
        return _later(found) or Response(status_code=204)


def _later(found: ScheduledRead | None) -> JSONResponse | None:
    if found is None:
        return None
    return JSONResponse(found.model_dump(mode="json"), status_code=202)


def _draft(listed: list[DraftRule]) -> list[Rule]:
    seen: set[str] = set()
    twice = []
    for index, r in enumerate(listed):
        if r.id in seen:
            twice.append(
                FieldError(f"rules.{index}.id", "dispatch.rule_listed_twice", {"code": r.id})
            )
        seen.add(r.id)
    if twice:
        raise Invalid.fields(twice)
    return [Rule(r.id, r.department, r.category, r.area, tuple(r.co)) for r in listed]


def _ref(department: Department) -> DepartmentRef:
    return DepartmentRef(code=department.code, name=department.name, kind=department.kind)


def _problems(request: Request, found: list[Problem]) -> list[ProblemRead]:
    lang = negotiate(request.headers.get("accept-language"))
    key = {"shadowed": "dispatch.rule_shadowed", "contradicts": "dispatch.rule_contradicts"}
    return [
        ProblemRead(
            kind=p.kind,
            rule=p.rule,
            other=p.other,
            category=p.category,
            area=p.area,
            message=t(
                key[p.kind],
                lang,
                rule=p.rule,
                other=p.other,
                category=p.category or "*",
                area=p.area or "*",
            ),
        )
        for p in found
    ]
