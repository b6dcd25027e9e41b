"""Reads the search API's query string into a `SearchRequest`, or says precisely what is
wrong with it: an unknown parameter, a bad value, a backwards date range, a page too deep,
a malformed query or cursor. Page sizes beyond the maximum are clamped, not refused."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, get_args

from proto.tickets import Channel, RequestType, Urgency
from services.common.problems import FieldError, Problem, field_problem
from services.search.adapters.index import (
    MAX_WINDOW,
    SORTS,
    TIME_ZONE,
    DateRange,
    Histogram,
    SearchRequest,
)
from services.search.domain.derive import OPEN
from services.search.domain.query import ParsedQuery, QuerySyntaxError, parse

MAX_LIMIT = 100
MAX_QUERY = 200
STATUSES = (*sorted(OPEN), "resolved", "answered", "closed")
SLA_STATES = ("on_time", "warned", "breached")
FACETS = (
    "status", "urgency", "request_type", "channel", "category_code", "district_code",
    "street_code", "department_code", "sla_state",
)  # fmt: skip
DEFAULT_FACETS = ("status", "urgency", "category_code", "district_code", "department_code")
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
PAGING = ("q", "sort", "limit", "offset", "after", "facets", "histogram")
RANGE = ("from", "to", "overdue")
KNOWN = (*PAGING, *CHOICES, *CODES, *RANGE)
EXPORT_KNOWN = ("q", "sort", *CHOICES, *CODES, *RANGE)
_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True)
class Parsed:
    request: SearchRequest
    query: ParsedQuery


def read(params: Mapping[str, Sequence[str]], now: datetime, *, paging: bool = True) -> Parsed:
    """The search a query string asks for; raises a 422 Problem naming every bad field."""
    unknown = sorted(set(params) - set(KNOWN if paging else EXPORT_KNOWN))
    if unknown:
        raise Problem(
            422,
            "search.unknown_parameters",
            names=", ".join(unknown),
            errors=[FieldError(name, "search.unknown_parameter") for name in unknown],
        )
    text = _one(params, "q") or ""
    if len(text) > MAX_QUERY:
        raise field_problem("q", "search.query_too_long", max=MAX_QUERY)
    try:
        query = parse(text)
    except QuerySyntaxError as error:
        raise field_problem("q", error.code) from error
    sort = _sort(params, query)
    request = SearchRequest(
        text=text,
        filters=_filters(params, now),
        ranges=_ranges(params, now),
        sort=sort,  # type: ignore[arg-type]
        facets=_facets(params) if paging else (),
        histogram=_histogram(params) if paging else None,
        **(_page(params, sort) if paging else {}),
    )
    return Parsed(request, query)


def _one(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = params.get(name) or []
    if len(values) > 1:
        raise field_problem(name, "search.repeated_parameter")
    return values[0].strip() if values else None


def _many(params: Mapping[str, Sequence[str]], name: str) -> list[str]:
    return [v.strip() for value in params.get(name, []) for v in value.split(",") if v.strip()]


def _filters(params: Mapping[str, Sequence[str]], now: datetime) -> dict[str, list[str]]:
    filters: dict[str, list[str]] = {}
    for name, allowed in CHOICES.items():
        values = _many(params, name)
        bad = [v for v in values if v not in allowed]
        if bad:
            raise field_problem(name, "search.bad_choice", allowed=", ".join(allowed))
        if values:
            filters[name] = values
    for name, field in CODES.items():
        values = _many(params, name)
        if any(not _CODE.match(v) for v in values):
            raise field_problem(name, "search.bad_code")
        if values:
            filters[field] = values
    if _flag(params, "overdue"):
        filters["is_open"] = ["true"]
    return filters


def _flag(params: Mapping[str, Sequence[str]], name: str) -> bool:
    value = (_one(params, name) or "false").lower()
    if value not in ("true", "false", "1", "0", "yes", "no"):
        raise field_problem(name, "search.bad_flag")
    return value in ("true", "1", "yes")


def moment(value: str, name: str, *, end: bool) -> datetime:
    """A day (Beijing time; as an end, the whole day is included) or an ISO time with offset."""
    try:
        if len(value) == 10:
            day = date.fromisoformat(value) + timedelta(days=1 if end else 0)
            return datetime.combine(day, time(), TIME_ZONE)
        found = datetime.fromisoformat(value)
    except ValueError as error:
        raise field_problem(name, "search.bad_date") from error
    return found if found.tzinfo else found.replace(tzinfo=TIME_ZONE)


def _ranges(params: Mapping[str, Sequence[str]], now: datetime) -> dict[str, DateRange]:
    start, end = _one(params, "from"), _one(params, "to")
    ranges: dict[str, DateRange] = {}
    if start or end:
        gte = moment(start, "from", end=False) if start else None
        lt = moment(end, "to", end=True) if end else None
        if gte and lt and lt <= gte:
            raise field_problem("to", "search.range_backwards")
        ranges["created_at"] = DateRange(gte, lt)
    if _flag(params, "overdue"):
        ranges["due_at"] = DateRange(lt=now)
    return ranges


def _sort(params: Mapping[str, Sequence[str]], query: ParsedQuery) -> str:
    sort = _one(params, "sort") or ("relevance" if query.include else "newest")
    if sort not in SORTS:
        raise field_problem("sort", "search.bad_choice", allowed=", ".join(SORTS))
    return sort


def _int(params: Mapping[str, Sequence[str]], name: str, default: int) -> int:
    raw = _one(params, name)
    try:
        return default if raw is None else int(raw)
    except ValueError as error:
        raise field_problem(name, "search.bad_number") from error


def _page(params: Mapping[str, Sequence[str]], sort: str) -> dict[str, Any]:
    limit, offset = _int(params, "limit", 20), _int(params, "offset", 0)
    if limit < 1:
        raise field_problem("limit", "search.limit_too_small")
    if offset < 0:
        raise field_problem("offset", "search.offset_negative")
    limit = min(limit, MAX_LIMIT)
    if offset + limit > MAX_WINDOW:
        raise field_problem("offset", "search.too_deep", max=MAX_WINDOW)
    token = _one(params, "after")
    if token is None:
        return {"limit": limit, "offset": offset}
    if sort == "relevance" or offset:
        raise field_problem("after", "search.cursor_needs_sort")
    return {"limit": limit, "after": decode_cursor(token, sort)}


def _facets(params: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    if "facets" not in params:
        return DEFAULT_FACETS
    chosen = tuple(dict.fromkeys(_many(params, "facets")))
    if any(name not in FACETS for name in chosen):
        raise field_problem("facets", "search.bad_choice", allowed=", ".join(FACETS))
    return chosen


def _histogram(params: Mapping[str, Sequence[str]]) -> Histogram | None:
    interval = _one(params, "histogram")
    if interval is None:
        return None
    if interval not in ("day", "week", "month"):
        raise field_problem("histogram", "search.bad_choice", allowed="day, week, month")
    return Histogram("created_at", interval)  # type: ignore[arg-type]


def encode_cursor(sort: str, values: Iterable[Any] | None) -> str | None:
    """An opaque token for `after`, tied to the sort it was made for."""
    if values is None:
        return None
    raw = json.dumps([sort, list(values)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, sort: str) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        made_for, values = json.loads(raw)
    except (binascii.Error, ValueError, TypeError) as error:
        raise field_problem("after", "search.bad_cursor") from error
    if made_for != sort or not isinstance(values, list) or len(values) > 4:
        raise field_problem("after", "search.bad_cursor")
    return values
