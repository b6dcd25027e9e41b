"""Monthly themes (每月一题): leaders create and steer them, dispatchers read them (to open
proactive tickets) and note progress. Thin routes over `handlers.themes`."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints, model_validator

from services.common.auth import CurrentUser, Role, require_roles
from services.common.clock import utcnow
from services.common.errors import Invalid
from services.common.idempotency import Idempotent
from services.common.text import CleanText
from services.search.domain.themes import ProblemClass
from services.search.handlers.themes import NewTheme, ThemeBook

Leaders = Depends(require_roles(Role.leader))
Steering = Depends(require_roles(Role.leader, Role.dispatcher))
Code = Annotated[str, StringConstraints(pattern=r"^\d{2,12}$")]
Department = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[\w-]{1,64}$")]
HotspotKey = Annotated[str, StringConstraints(pattern=r"^\d{2,12}@\d{6,12}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ThemeCreate(Strict):
    """From a hot spot (`hotspot_key`) or by hand (`category_code` × `area_codes`)."""

    title: CleanText = Field(min_length=1, max_length=100)
    hotspot_key: HotspotKey | None = Field(None, description="category@street of a hot spot")
    category_code: Code | None = Field(None, description="A category at any level")
    area_codes: list[Code] = Field(default_factory=list, max_length=20)
    lead_department: Department
    co_departments: list[Department] = Field(default_factory=list, max_length=10)
    starts_on: date | None = Field(None, description="Defaults to today (Beijing)")

    @model_validator(mode="after")
    def _one_class(self) -> ThemeCreate:
        if bool(self.hotspot_key) == bool(self.category_code or self.area_codes):
            raise Invalid("search.theme_needs_class", field="hotspot_key")
        return self

    def command(self) -> NewTheme:
        if self.hotspot_key:
            problem = ProblemClass.of_hotspot(self.hotspot_key)
        else:
            problem = ProblemClass(self.category_code or "", tuple(dict.fromkeys(self.area_codes)))
        source = f"hotspot:{self.hotspot_key}" if self.hotspot_key else ""
        co = tuple(dict.fromkeys(self.co_departments))
        return NewTheme(self.title, problem, self.lead_department, co, self.starts_on, source)


class TaskCreate(Strict):
    department_code: Department = Field(description="The department that owns the task")
    title: CleanText = Field(min_length=1, max_length=200)
    due_on: date


class TaskUpdate(Strict):
    done: StrictBool


class NoteCreate(Strict):
    text: CleanText = Field(min_length=1, max_length=2000)


class StatusUpdate(Strict):
    status: Literal["active", "closed"]


def router(book: ThemeBook) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["themes"])

    @api.post("/themes", status_code=status.HTTP_201_CREATED, dependencies=[Leaders, Idempotent])
    def create(body: ThemeCreate, user: CurrentUser) -> dict[str, Any]:
        return book.create(body.command(), user.username, utcnow())

    @api.get("/themes", dependencies=[Steering])
    def listing(
        state: Annotated[Literal["active", "closed"] | None, Query(alias="status")] = None,
    ) -> list[dict[str, Any]]:
        """Themes newest first with their progress and volume change."""
        return book.listing(state, utcnow())

    @api.get("/themes/{theme_id}", dependencies=[Steering])
    def view(theme_id: str) -> dict[str, Any]:
        """A theme with its tasks, notes and before/after chart (see docs/themes.md)."""
        return book.view(theme_id, utcnow())

    @api.patch("/themes/{theme_id}", dependencies=[Leaders])
    def set_status(theme_id: str, body: StatusUpdate) -> dict[str, Any]:
        return book.set_status(theme_id, body.status, utcnow())

    @api.post(
        "/themes/{theme_id}/tasks",
        status_code=status.HTTP_201_CREATED,
        dependencies=[Leaders, Idempotent],
    )
    def add_task(theme_id: str, body: TaskCreate, user: CurrentUser) -> dict[str, Any]:
        return book.add_task(
            theme_id, body.department_code, body.title, body.due_on, user.username, utcnow()
        )

    @api.patch("/themes/{theme_id}/tasks/{task_id}", dependencies=[Steering])
    def mark_task(
        theme_id: str, task_id: str, body: TaskUpdate, user: CurrentUser
    ) -> dict[str, Any]:
        return book.mark_task(theme_id, task_id, body.done, user.username, utcnow())

    @api.post(
        "/themes/{theme_id}/notes",
        status_code=status.HTTP_201_CREATED,
        dependencies=[Steering, Idempotent],
    )
    def add_note(theme_id: str, body: NoteCreate, user: CurrentUser) -> dict[str, Any]:
        return book.add_note(theme_id, body.text, user.username, utcnow())

    return api
