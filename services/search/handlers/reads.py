"""Search use cases that only read: find tickets, show one, export a result set.

Authorization is decided here, per object: department staff only ever see tickets their
department took part in (lead or co-handling, any round); every other reader sees all.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

from services.common.auth import Principal, Role
from services.common.errors import NotFound
from services.search.adapters.index import (
    Doc,
    SearchRequest,
)
from services.search.api.params import Parsed, encode_cursor
from services.search.domain.highlight import highlight
from services.search.domain.query import ParsedQuery
from services.search.handlers.context import SearchContext

# Facts kept for folding that readers need not see.
_INTERNAL = ("versions", "ticket", "calls_seen")
EXPORT_LIMIT = 50_000
_NOBODY = "\x00"  # a department code no document holds
EXPORT_PAGE = 500


def scoped(user: Principal, request: SearchRequest) -> SearchRequest:
    """The request limited to what `user` may see: department staff asking for other
    departments' tickets get none."""
    if user.role != Role.dept_staff:
        return request
    asked = request.filters.get("department_codes")
    own = user.department or ""
    allowed = [own] if asked is None or own in asked or own == asked else [_NOBODY]
    return replace(request, filters={**request.filters, "department_codes": allowed})


def visible(doc: Doc | None, user: Principal) -> bool:
    if doc is None:
        return False
    return user.role != Role.dept_staff or user.department in doc.get("department_codes", [])


def is_overdue(doc: Doc, now: datetime) -> bool:
    due = doc.get("due_at")
    return bool(doc.get("is_open") and due and datetime.fromisoformat(due) < now)


def present(doc: Doc, query: ParsedQuery, now: datetime) -> Doc:
    """A hit as readers get it: the document without folding internals, with highlights."""
    shown = {k: v for k, v in doc.items() if k not in _INTERNAL}
    shown["overdue"] = is_overdue(doc, now)
    terms = query.terms
    marked = {
        name: highlight(str(doc[name]), terms)
        for name in ("description",)
        if terms and doc.get(name)
    }
    shown["highlight"] = {name: text for name, text in marked.items() if text}
    return shown


def search(reader: SearchContext, user: Principal, parsed: Parsed, now: datetime) -> dict[str, Any]:
    request = scoped(user, parsed.request)
    result = reader.run(request)
    return {
        "total": result.total,
        "limit": request.limit,
        "offset": request.offset,
        "sort": request.sort,
        "hits": [present(hit, parsed.query, now) for hit in result.hits],
        "facets": {name: reader.labelled(name, b) for name, b in result.facets.items()},
        "histogram": [{"key": b.key, "count": b.count} for b in result.histogram],
        "next": encode_cursor(request.sort, result.cursor)
        if len(result.hits) == request.limit
        else None,
    }


def ticket(reader: SearchContext, user: Principal, ticket_id: str, now: datetime) -> Doc:
    doc = reader.index.get(ticket_id)
    if doc is None or not visible(doc, user):
        raise NotFound("search.ticket_not_found", id=ticket_id)
    return present(doc, ParsedQuery(), now)


def export(reader: SearchContext, user: Principal, parsed: Parsed) -> Iterator[Doc]:
    """Every hit of the search, up to `EXPORT_LIMIT`, walked by cursor (relevance order is
    exported newest first, since only time orders can be walked without end)."""
    sort = "newest" if parsed.request.sort == "relevance" else parsed.request.sort
    request = replace(scoped(user, parsed.request), sort=sort, limit=EXPORT_PAGE, offset=0)
    sent = 0
    while sent < EXPORT_LIMIT:
        page = reader.run(request)
        yield from page.hits[: EXPORT_LIMIT - sent]
        sent += len(page.hits)
        if len(page.hits) < EXPORT_PAGE or page.cursor is None:
            return
        request = replace(request, after=page.cursor)
