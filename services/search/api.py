"""Thin routes over the index; department staff only ever see their own department's tickets."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from services.common.auth import CurrentUser, Principal, Role, require_roles
from services.common.problems import Problem
from services.search.adapters.index import SearchIndex

Readers = Depends(require_roles(Role.agent, Role.dispatcher, Role.dept_staff, Role.leader))
FILTERS = (
    "status",
    "request_type",
    "urgency",
    "channel",
    "category_code",
    "area_code",
    "department_code",
)


class SearchResult(BaseModel):
    total: int
    hits: list[dict[str, Any]]


def _scoped(user: Principal, filters: dict[str, str]) -> dict[str, str]:
    if user.role == Role.dept_staff:
        return filters | {"department_code": user.department or ""}
    return filters


def _visible(index: SearchIndex, user: Principal, ticket_id: str) -> dict[str, Any]:
    doc = index.get(ticket_id)
    if doc is None or (
        user.role == Role.dept_staff and doc.get("department_code") != user.department
    ):
        raise Problem(404, "search.ticket_not_found", id=ticket_id)
    return doc


def router(index: SearchIndex) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["search"], dependencies=[Readers])

    @api.get("/search")
    def search(
        user: CurrentUser,
        q: Annotated[str, Query(max_length=200)] = "",
        status: str | None = None,
        request_type: str | None = None,
        urgency: str | None = None,
        channel: str | None = None,
        category_code: str | None = None,
        area_code: str | None = None,
        department_code: str | None = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
    ) -> SearchResult:
        given = locals()
        filters = {name: given[name] for name in FILTERS if given[name]}
        page = index.search(q, _scoped(user, filters), limit=limit, offset=offset)
        return SearchResult(total=page.total, hits=page.hits)

    @api.get("/tickets/{ticket_id}")
    def ticket(ticket_id: str, user: CurrentUser) -> dict[str, Any]:
        return _visible(index, user, ticket_id)

    @api.get("/tickets/{ticket_id}/timeline")
    def timeline(ticket_id: str, user: CurrentUser) -> list[dict[str, Any]]:
        timeline: list[dict[str, Any]] = _visible(index, user, ticket_id)["timeline"]
        return timeline

    return api
