"""The holiday calendar's import, departments' notice settings, the notices sent, and the
count of warned and breached assignments a workbench shows at once."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field, StringConstraints

from services.common.auth import CurrentUser, Role, require_roles
from services.common.text import CleanText
from services.dispatch.adapters.notice_store import sla_alerts
from services.dispatch.api.assignments import scope
from services.dispatch.api.models import Input, Note
from services.dispatch.domain.calendar import BEIJING
from services.dispatch.domain.notice import Channel
from services.dispatch.handlers import calendar, notices
from services.dispatch.handlers.calendar import CalendarWatch
from services.dispatch.handlers.context import DispatchContext

Admins = Depends(require_roles(Role.admin))
Watchers = Depends(require_roles(Role.dispatcher, Role.leader))
Workers = Depends(require_roles(Role.dispatcher, Role.leader, Role.dept_staff))
Year = Annotated[int, Path(ge=2000, le=2100)]
Days = Annotated[list[date], Field(max_length=366)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9-]{5,20}$")]
Url = Annotated[CleanText, StringConstraints(strip_whitespace=True, max_length=500)]


class CalendarImport(Input):
    holidays: Days
    workdays: Days = Field(default_factory=list)
    note: Note = ""


class CalendarStatus(BaseModel):
    known_until: date
    days_left: int
    warning: bool


class KnownYear(BaseModel):
    year: int
    source: str = Field(description="imported (by an admin), file (the override file) or package")
    holidays: list[date]
    workdays: list[date] = Field(description="Make-up working days (调休) on a weekend")


class KnownYears(BaseModel):
    years: list[KnownYear]
    opens: str = Field(description="Working hours start, HH:MM Beijing time")
    closes: str = Field(description="Working hours end, HH:MM Beijing time")


class NoticeSettings(Input):
    notice_channel: Channel
    duty_phone: Phone | None = None
    webhook_url: Url | None = None


class NoticeSettingsRead(BaseModel):
    code: str
    notice_channel: str
    duty_phone: str | None
    webhook_url: str | None


class SlaAlerts(BaseModel):
    warned: int
    breached: int


def router(deps: DispatchContext, watch: CalendarWatch) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["calendar and notices"])

    @api.get("/calendar", dependencies=[Watchers])
    def calendar_status() -> CalendarStatus:
        return CalendarStatus.model_validate(watch.status or watch_now(watch))

    # Beside /calendar/{year}, not under it: a PUT there would answer 422 instead of 405.
    @api.get("/calendar-years", dependencies=[Watchers])
    def calendar_years(since: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> KnownYears:
        """The known years from `since` (default: last year) and the working hours."""
        first = since or deps.now().astimezone(BEIJING).year - 1
        return KnownYears.model_validate(calendar.known_years(deps, first))

    @api.get("/calendar/{year}", dependencies=[Admins])
    def calendar_year(year: Year) -> dict[str, Any]:
        return calendar.year_view(deps, year)

    @api.put("/calendar/{year}", dependencies=[Admins])
    def import_year(year: Year, body: CalendarImport, user: CurrentUser) -> dict[str, Any]:
        days = (body.holidays, body.workdays)
        return calendar.import_year(deps, watch, user, year, days, body.note)

    @api.get("/notices", dependencies=[Watchers])
    def recent_notices(limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[dict[str, Any]]:
        return notices.recent(deps, limit)

    @api.get("/departments/{code}/notices", dependencies=[Admins])
    def notice_settings(code: str) -> NoticeSettingsRead:
        return NoticeSettingsRead.model_validate(notices.settings(deps, code))

    @api.put("/departments/{code}/notices", dependencies=[Admins])
    def set_notice_settings(
        code: str, body: NoticeSettings, user: CurrentUser
    ) -> NoticeSettingsRead:
        found = notices.set_settings(
            deps, user, code, body.notice_channel, body.duty_phone, body.webhook_url
        )
        return NoticeSettingsRead.model_validate(found)

    @api.get("/sla-alerts", dependencies=[Workers])
    def alerts(user: CurrentUser) -> SlaAlerts:
        with deps.uow() as u:
            return SlaAlerts.model_validate(sla_alerts(u.session, scope(user)))

    return api


def watch_now(watch: CalendarWatch) -> dict[str, Any]:
    watch.refresh()
    return watch.status
