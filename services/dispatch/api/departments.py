"""Departments as admins edit them: the overview with territories, duty contacts and open
work; add, change (name, territory, duty contact) and merge, at once or from a date."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, Field, StringConstraints

from services.common.auth import CurrentUser, Role, require_roles
from services.common.errors import Conflict
from services.common.i18n import register
from services.common.idempotency import Idempotent
from services.common.openapi import problem_answers
from services.common.scheduled import ScheduledRead
from services.common.text import CleanText
from services.dispatch.api.calendar import Phone, Url
from services.dispatch.api.models import Input
from services.dispatch.domain.notice import Channel
from services.dispatch.handlers import departments
from services.dispatch.handlers.context import DispatchContext

Readers = Depends(require_roles(Role.dispatcher, Role.leader))
Edits = [Depends(require_roles(Role.admin)), Idempotent]
DeptCode = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Z][A-Z0-9-]{1,31}$")
]
CodePath = Annotated[str, Path(pattern=r"^[A-Z][A-Z0-9-]{1,31}$")]
Name = Annotated[CleanText, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Person = Annotated[CleanText, StringConstraints(strip_whitespace=True, max_length=100)]
Area = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{1,12}$")]
Territory = Annotated[list[Area], Field(max_length=200)]
Kind = Literal["district", "street", "bureau", "utility"]
CLEARABLE = ("duty_name", "duty_phone", "webhook_url")


class Scheduling(Input):
    effective_at: AwareDatetime | None = Field(
        default=None, description="When the change takes effect; empty: at once"
    )


class DepartmentCreate(Scheduling):
    code: DeptCode
    name: Name
    kind: Kind
    parent: DeptCode | None = None
    territory: Territory = Field(default_factory=list)
    duty_name: Person | None = None


class DepartmentChange(Scheduling):
    """Only the fields sent change."""

    name: Name | None = None
    territory: Territory | None = None
    duty_name: Person | None = None
    notice_channel: Channel | None = None
    duty_phone: Phone | None = None
    webhook_url: Url | None = None


class DepartmentMerge(Scheduling):
    into: DeptCode


class DepartmentView(BaseModel):
    code: str
    name: str
    kind: str
    parent: str | None
    territory: list[str]
    duty_name: str | None
    notice_channel: str
    duty_phone: str | None
    webhook_url: str | None
    version: int
    retired_at: AwareDatetime | None
    merged_into: str | None
    edited_by: str | None
    edited_at: AwareDatetime | None
    open_assignments: int | None = None


class MergePreview(BaseModel):
    code: str
    into: str
    open_assignments: int
    rules: list[str]


class MergeDone(BaseModel):
    code: str
    into: str
    moved: list[str] = Field(description="The new assignments at the department merged into")
    rules: list[str] = Field(description="The routing rules that now name it")
    department: DepartmentView


class ChangeRead(BaseModel):
    """One change of a department or of its notice settings, as kept (newest first)."""

    id: int
    code: str
    kind: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    by: str
    at: AwareDatetime
    effective_at: AwareDatetime | None


def router(deps: DispatchContext) -> APIRouter:
    register(departments.MESSAGES)
    api = APIRouter(prefix="/api/v1", tags=["departments"])

    # Lists beside /departments/{code}, not under it: a static segment there would answer
    # a PATCH with 422 instead of 405.
    @api.get("/department-overview", dependencies=[Readers])
    def overview() -> list[DepartmentView]:
        return [DepartmentView.model_validate(d) for d in departments.overview(deps)]

    @api.get("/department-changes", dependencies=[Readers])
    def history(
        code: Annotated[str | None, Query(max_length=32)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> list[ChangeRead]:
        return [ChangeRead.model_validate(c) for c in departments.history(deps, code, limit)]

    @api.get(
        "/departments/{code}/merge-preview",
        dependencies=[Readers],
        responses=problem_answers(Conflict),
    )
    def merge_preview(code: CodePath, into: Annotated[str, Query(max_length=32)]) -> MergePreview:
        return MergePreview.model_validate(departments.merge_preview(deps, code, into))

    @api.post(
        "/departments",
        status_code=201,
        dependencies=Edits,
        responses={202: {"model": ScheduledRead}},
    )
    def create(body: DepartmentCreate, user: CurrentUser) -> Any:
        payload = body.model_dump(mode="json", exclude={"effective_at"})
        return _answer(departments.submit(deps, user, payload | {"action": "create"},
                                          body.effective_at), DepartmentView)  # fmt: skip

    @api.patch("/departments/{code}", dependencies=Edits, responses={202: {"model": ScheduledRead}})
    def change(code: CodePath, body: DepartmentChange, user: CurrentUser) -> Any:
        sent = body.model_dump(mode="json", exclude={"effective_at"}, exclude_unset=True)
        # A null clears what may be empty; for the others it means "unchanged".
        payload = {k: v for k, v in sent.items() if v is not None or k in CLEARABLE}
        payload |= {"action": "change", "code": code}
        return _answer(departments.submit(deps, user, payload, body.effective_at), DepartmentView)

    @api.post(
        "/departments/{code}/merge", dependencies=Edits, responses={202: {"model": ScheduledRead}}
    )
    def merge(code: CodePath, body: DepartmentMerge, user: CurrentUser) -> Any:
        payload = {"action": "merge", "code": code, "into": body.into}
        return _answer(departments.submit(deps, user, payload, body.effective_at), MergeDone)

    return api


def _answer(done: Any, model: type[BaseModel]) -> Any:
    if isinstance(done, ScheduledRead):
        return JSONResponse(done.model_dump(mode="json"), status_code=202)
    return model.model_validate(done)
