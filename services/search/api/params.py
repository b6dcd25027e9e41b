"""The search API's query string: declared as models (so the OpenAPI shows every
parameter with its type and range, and the framework refuses what is not of that type),
then read into a `SearchRequest`, saying precisely what else is wrong: a bad value in a
list, a day out of range, a backwards date range, a page too deep, a malformed query or
cursor. Page sizes beyond the maximum are clamped, not refused."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from proto.tickets import Channel, RequestType, Urgency
from services.common.problems import field_problem
from services.search.adapters.index import (
    MAX_WINDOW,
    TIME_ZONE,
    DateRange,
    Histogram,
    SearchRequest,
    Sort,
)
from services.search.domain.derive import OPEN
from services.search.domain.query import ParsedQuery, QuerySyntaxError, parse

MAX_LIMIT = 100
MAX_QUERY = 200
MAX_VALUES = 50  # values of one list parameter, however given
# A cursor we make is under 100 characters; the cap is checked before anything decodes it.
MAX_CURSOR = 256
# Days a search may name: the day the epoch starts until the last one a date can be +1 of.
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(9998, 12, 31)
INT64 = (-(2**63), 2**63 - 1)  # Elasticsearch's long, SQLite's INTEGER
STATUSES = (*sorted(OPEN), "resolved", "answered", "closed")
SLA_STATES = ("on_time", "warned", "breached")
FACETS = (
    "status", "urgency", "request_type", "channel", "category_code", "district_code",
    "street_code", "department_code", "sla_state",
)  # fmt: skip
DEFAULT_FACETS = (
    "status", "urgency", "channel", "category_code", "district_code", "department_code",
)  # fmt: skip
# Parameter -> allowed values, for the keyword filters whose values are a fixed set.
CHOICES: dict[str, tuple[str, ...]] = {
    "status": STATUSES,
    "request_type": get_args(RequestType),
    "urgency": get_args(Urgency),
    "channel": get_args(Channel),
    "sla_state": SLA_STATES,
}
# Parameter -> list field it filters: any level of a code, any department involved.
CODES = {"category": "category_codes", "area": "area_codes", "department": "department_codes"}
_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def _choices(name: str) -> Any:
    allowed = ", ".join(CHOICES[name])
    return Field([], max_length=MAX_VALUES, description=f"Any of: {allowed} (comma-separated)")


def _codes(what: str) -> Any:
    return Field([], max_length=MAX_VALUES, description=f"{what} (comma-separated for any)")


def _moment_field(what: str, alias: str | None = None) -> Any:
    return Field(
        None,
        alias=alias,
        max_length=40,
        description=f"{what}: a day in Beijing time (2026-11-28, inclusive) or an ISO 8601 "
        f"time with offset; days from {FIRST_DAY} to {LAST_DAY}",
    )


class SearchFilters(BaseModel):
    """What to find: the query string of an export, and the first part of a search's."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    q: str = Field("", max_length=MAX_QUERY, description='Words, "phrases" and -exclusions')
    sort: Sort | None = Field(None, description="Default: relevance with words, else newest")
    status: list[str] = _choices("status")
    request_type: list[str] = _choices("request_type")
    urgency: list[str] = _choices("urgency")
    channel: list[str] = _choices("channel")
    sla_state: list[str] = _choices("sla_state")
    category: list[str] = _codes("Category code at any level")
    area: list[str] = _codes("Area code at any level")
    department: list[str] = _codes("Department involved")
    from_: str | None = _moment_field("Received from", alias="from")
    to: str | None = _moment_field("Received until")
    overdue: bool = Field(False, description="Only open tickets past their deadline")


class SearchQuery(SearchFilters):
    """A search: what to find, which page, and what to count beside it."""

    limit: int = Field(
        20, ge=1, le=MAX_WINDOW, description=f"Hits per page; above {MAX_LIMIT}, {MAX_LIMIT}"
    )
    offset: int = Field(0, ge=0, le=MAX_WINDOW, description="Hits to skip (relevance paging)")
    after: str | None = Field(
        None,
        min_length=1,
        max_length=MAX_CURSOR,
        description="The `next` of the page before (sorts by time or deadline, no offset)",
    )
    facets: list[str] | None = Field(
        None, max_length=len(FACETS), description=f"Any of: {', '.join(FACETS)}"
    )
    histogram: Literal["day", "week", "month"] | None = None


@dataclass(frozen=True)
class Parsed:
    request: SearchRequest
    query: ParsedQuery


def read(given: SearchFilters, now: datetime) -> Parsed:
    """The search `given` asks for (paged when it is a `SearchQuery`); raises a 422 Problem
    naming the bad field."""
    try:
        query = parse(given.q.strip())
    except QuerySyntaxError as error:
        raise field_problem("q", error.code) from error
    sort = given.sort or ("relevance" if query.include else "newest")
    request = SearchRequest(
        text=given.q.strip(),
        filters=_filters(given),
        ranges=_ranges(given, now),
        sort=sort,
        **(_paged(given, sort) if isinstance(given, SearchQuery) else {}),
    )
    return Parsed(request, query)


def _many(values: Sequence[str]) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def _filters(given: SearchFilters) -> dict[str, list[str]]:
    filters: dict[str, list[str]] = {}
    for name, allowed in CHOICES.items():
        values = _many(getattr(given, name))
        if any(v not in allowed for v in values):
            raise field_problem(name, "search.bad_choice", allowed=", ".join(allowed))
        if values:
            filters[name] = values
    for name, field in CODES.items():
        values = _many(getattr(given, name))
        if any(not _CODE.match(v) for v in values):
            raise field_problem(name, "search.bad_code")
        if values:
            filters[field] = values
    if given.overdue:
        filters["is_open"] = ["true"]
    return filters


def moment(value: str, name: str, *, end: bool) -> datetime:
    """A day (Beijing time; as an end, the whole day is included) or an ISO time with
    offset, between `FIRST_DAY` and `LAST_DAY`."""
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            found = datetime.combine(day, time(), TIME_ZONE)
        else:
            found = datetime.fromisoformat(value)
            found = found if found.tzinfo else found.replace(tzinfo=TIME_ZONE)
            day = found.date()
    except (ValueError, OverflowError) as error:
        raise field_problem(name, "search.bad_date") from error
    if not FIRST_DAY <= day <= LAST_DAY:
        raise field_problem(name, "search.date_out_of_range", first=FIRST_DAY, last=LAST_DAY)
    return found + timedelta(days=1) if end and len(value) == 10 else found


def _ranges(given: SearchFilters, now: datetime) -> dict[str, DateRange]:
    start, end = (given.from_ or "").strip(), (given.to or "").strip()
    ranges: dict[str, DateRange] = {}
    if start or end:
        gte = moment(start, "from", end=False) if start else None
        lt = moment(end, "to", end=True) if end else None
        if gte and lt and lt <= gte:
            raise field_problem("to", "search.range_backwards")
        ranges["created_at"] = DateRange(gte, lt)
    if given.overdue:
        ranges["due_at"] = DateRange(lt=now)
    return ranges


def _paged(given: SearchQuery, sort: str) -> dict[str, Any]:
    limit = min(given.limit, MAX_LIMIT)
    if given.offset + limit > MAX_WINDOW:
        raise field_problem("offset", "search.too_deep", max=MAX_WINDOW)
    paging: dict[str, Any] = {"limit": limit, "offset": given.offset}
    if given.after is not None:
        if sort == "relevance" or given.offset:
            raise field_problem("after", "search.cursor_needs_sort")
        paging = {"limit": limit, "after": decode_cursor(given.after.strip(), sort)}
    return paging | {"facets": _facets(given), "histogram": _histogram(given)}


def _facets(given: SearchQuery) -> tuple[str, ...]:
    if given.facets is None:
        return DEFAULT_FACETS
    chosen = tuple(dict.fromkeys(_many(given.facets)))
    if any(name not in FACETS for name in chosen):
        raise field_problem("facets", "search.bad_choice", allowed=", ".join(FACETS))
    return chosen


def _histogram(given: SearchQuery) -> Histogram | None:
    return Histogram("created_at", given.histogram) if given.histogram else None


def encode_cursor(sort: str, values: Iterable[Any] | None) -> str | None:
    """An opaque token for `after`, tied to the sort it was made for."""
    if values is None:
        return None
    raw = json.dumps([sort, list(values)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, sort: str) -> list[Any]:
    """The `after` values in `token`, if it is one we made for `sort`: the sort's date in
    epoch milliseconds (or null) and a ticket id. Anything else is a 422, whatever it holds
    (the size is capped before decoding, and nothing is nested deeper than we nest)."""
    try:
        if len(token) > MAX_CURSOR:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        made_for, values = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, RecursionError) as error:
        raise field_problem("after", "search.bad_cursor") from error
    if made_for != sort or not _cursor_values(values):
        raise field_problem("after", "search.bad_cursor")
    return list(values)


def _cursor_values(values: Any) -> bool:
    if not isinstance(values, list) or len(values) != 2:
        return False
    value, ticket_id = values
    in_range = value is None or (
        isinstance(value, int) and not isinstance(value, bool) and INT64[0] <= value <= INT64[1]
    )
    return in_range and isinstance(ticket_id, str) and 0 < len(ticket_id) <= 64
