"""Thin routes: parse, authorize by role, hand over to `reads` and `insights`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from services.common.auth import CurrentUser, Role, require_roles
from services.common.clock import utcnow
from services.common.i18n import negotiate
from services.common.rate_weights import RateWeightSettings
from services.search.api import export, params
from services.search.api.params import SearchFilters, SearchQuery
from services.search.handlers import insights, monthly, reads
from services.search.handlers.context import SearchContext
from services.search.handlers.themes import ThemeBook

Readers = Depends(require_roles(Role.agent, Role.dispatcher, Role.dept_staff, Role.leader))
Leaders = Depends(require_roles(Role.leader, Role.dispatcher))


class Bucket(BaseModel):
    key: str
    label: str | None = None
    count: int


class SearchRead(BaseModel):
    """One page of hits. `next` continues after the last hit (pass it as `after`); it is
    null on the last page and for relevance order, which pages by `offset` only."""

    total: int
    limit: int
    offset: int
    sort: str
    hits: list[dict[str, Any]]
    facets: dict[str, list[Bucket]]
    histogram: list[Bucket]
    next: str | None


def router(reader: SearchContext, themes: ThemeBook | None = None) -> APIRouter:
    weights = RateWeightSettings().weights()  # as feedback's assessment weighs the answers
    api = APIRouter(prefix="/api/v1", tags=["search"])

    @api.get("/search", dependencies=[Readers], response_model=SearchRead)
    def search(query: Annotated[SearchQuery, Query()], user: CurrentUser) -> dict[str, Any]:
        """Full text (words, "phrases", -exclusions) with filters: status, request_type,
        urgency, channel, sla_state (comma-separated for any of several), category, area
        and department (a code at any level), overdue, from/to (days in Beijing time);
        sort (relevance, newest, oldest, due); limit (clamped to 100), offset or after;
        facets; histogram (day, week, month)."""
        now = utcnow()
        return reads.search(reader, user, params.read(query, now), now)

    @api.get(
        "/search/export",
        dependencies=[Readers],
        response_class=StreamingResponse,
        responses={200: {"content": {"text/csv": {}}, "description": "The tickets as CSV"}},
    )
    def export_csv(
        query: Annotated[SearchFilters, Query()], request: Request, user: CurrentUser
    ) -> StreamingResponse:
        """The whole result set of a search (same filters, up to 50,000 tickets) as CSV."""
        now = utcnow()
        parsed = params.read(query, now)
        lang = negotiate(request.headers.get("accept-language"))
        docs = reads.export(reader, user, parsed)
        stamp = now.strftime("%Y%m%d-%H%M")
        return StreamingResponse(
            export.csv_lines(docs, lang, now),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="tickets-{stamp}.csv"'},
        )

    @api.get("/tickets/{ticket_id}", dependencies=[Readers])
    def ticket(ticket_id: str, user: CurrentUser) -> dict[str, Any]:
        return reads.ticket(reader, user, ticket_id, utcnow())

    @api.get("/tickets/{ticket_id}/timeline", dependencies=[Readers])
    def timeline(ticket_id: str, user: CurrentUser) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = reads.ticket(reader, user, ticket_id, utcnow())["timeline"]
        return found

    @api.get("/hotspots", dependencies=[Leaders])
    def hotspots(
        weeks: Annotated[int, Query(ge=1, le=26)] = 8,
        min_count: Annotated[int, Query(ge=1, le=1000)] = 3,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> dict[str, Any]:
        """Category × street pairs whose last 7 days jump above the weeks before, ranked by
        how unlikely the jump is (see `domain.hotspots`), with the tickets behind each."""
        return insights.hot_spots(reader, utcnow(), weeks=weeks, min_count=min_count, limit=limit)

    @api.get("/dashboard", dependencies=[Leaders])
    def dashboard(
        months: Annotated[int, Query(ge=1, le=24)] = 6,
        month: Annotated[
            str | None, Query(description="YYYY-MM; the month under way if left out")
        ] = None,
    ) -> dict[str, Any]:
        """A month's figures (the month under way by default; the monthly report prints
        the same): SLA compliance per month of the `months` ending with it, the three rates
        ranked per department and per street and city-wide (that month and the whole
        window), overdue tickets and resolutions per department, volume by channel,
        category and district, hot spots, totals, proactive tickets and monthly themes.
        422 for a month that is malformed, before 1970 or not begun."""
        now = utcnow()
        chosen = monthly.month_of(month, now)
        return monthly.figures(reader, themes, weights, chosen, now, months)

    return api
