"""The audit log for leaders and admins: who changed which configuration, when, before and
after; who saw, exported or erased personal data. Thin routes over `handlers.audit`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from services.common.auth import Role, require_roles
from services.common.i18n import register
from services.common.problems import field_problem
from services.search.api.params import MAX_CURSOR, MAX_QUERY, moment
from services.search.domain.audit import Filters, Position, terms
from services.search.handlers.audit import AuditLog

Auditors = Depends(require_roles(Role.leader))  # and admins, who always pass
MAX_LIMIT = 100
NAME = r"^[a-z_]{0,40}$"

MESSAGES = {
    "search.audit_entry_not_found": {
        "zh": "审计记录 {id} 不存在",
        "en": "Audit entry {id} not found",
    },
}


class AuditQuery(BaseModel):
    """Which entries: every filter given must hold (an empty one is no filter)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)

    q: str = Field(
        "",
        max_length=MAX_QUERY,
        description="Words, each found anywhere in the summary, key, account, reason or the "
        "values before and after (any case)",
    )
    kind: str = Field(
        "",
        pattern=NAME,
        description="category, knowledge, routing_rule, department, sla_policy, calendar, "
        "notice_settings, …; personal_data for accesses to personal data",
    )
    key: str = Field("", max_length=200, description="Which record of that kind (its code or id)")
    by: str = Field("", max_length=150, description="The account that did it")
    action: str = Field("", pattern=NAME, description="create, change, …; reveal, export, …")
    from_: str = Field(
        "",
        alias="from",
        max_length=40,
        description="From: a day in Beijing time (2026-11-28) or an ISO 8601 time with offset",
    )
    to: str = Field("", max_length=40, description="Until: a day (inclusive) or an ISO time")
    limit: int = Field(20, ge=1, le=MAX_LIMIT, description="Entries per page")
    after: str = Field(
        "", max_length=MAX_CURSOR, description="The `next` of the page before, to continue"
    )

    def filters(self) -> Filters:
        since = moment(self.from_, "from", end=False) if self.from_ else None
        until = moment(self.to, "to", end=True) if self.to else None
        if since and until and until <= since:
            raise field_problem("to", "search.range_backwards")
        return Filters(
            terms=tuple(terms(self.q)),
            kind=self.kind or None,
            key=self.key or None,
            by=self.by or None,
            action=self.action or None,
            since=since,
            until=until,
        )

    def position(self) -> Position | None:
        if not self.after:
            return None
        try:
            return Position.of_cursor(self.after)
        except ValueError as error:
            raise field_problem("after", "search.bad_cursor") from error


class AuditPage(BaseModel):
    """Newest first. `next` continues after the last entry (pass it as `after`); null on the
    last page. `total` counts every entry the filters match."""

    total: int
    limit: int
    entries: list[dict[str, Any]]
    next: str | None


def router(log: AuditLog) -> APIRouter:
    register(MESSAGES)
    api = APIRouter(prefix="/api/v1", tags=["audit"])

    @api.get("/audit", dependencies=[Auditors], response_model=AuditPage)
    def listing(query: Annotated[AuditQuery, Query()]) -> dict[str, Any]:
        """The audit log: configuration changes (with the record before and after) and
        accesses to personal data (ticket, action, outcome, reason, who; never a number)."""
        return log.listing(query.filters(), query.position(), query.limit)

    @api.get("/audit/{entry_id}", dependencies=[Auditors])
    def entry(entry_id: str) -> dict[str, Any]:
        return log.entry(entry_id)

    return api
