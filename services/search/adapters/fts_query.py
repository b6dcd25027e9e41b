"""SQL for `EmbeddedIndex`: how one `SearchRequest` becomes statements on the two tables.

Terms and keyword values both live in the FTS5 table: a document's row holds its text terms
(values separated by a gap token, so a phrase never spans two values) and one key token per
keyword value, `§<field>=<hex of value>`. No text term can start with `§` (the analyzer drops
punctuation), and hex keeps values exact under FTS5's case folding. A filtered full-text
search is therefore one FTS5 match that intersects posting lists; date bounds, paging and
facets then read the documents table by rowid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from services.search.adapters.index import SORT_FIELDS, SearchRequest
from services.search.domain.query import ParsedQuery

DOCS = "search_docs"
BODIES = "search_bodies"
FTS = "search_terms"
GAP = "§"
# Newest first breaks score ties; the ticket id breaks every other tie.
_TIEBREAK = "d.created_ms DESC, d.ticket_id"


@lru_cache(maxsize=65_536)
def key_token(name: str, value: str) -> str:
    return f"{GAP}{name}={value.encode().hex()}"


def epoch_ms(value: Any) -> int | None:
    """An ISO date as UTC milliseconds (Elasticsearch's precision), None if unreadable."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None  # Elasticsearch is told to ignore a malformed date the same way
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # Elasticsearch reads a date without offset as UTC
    # Integer arithmetic: a float timestamp can round .999 ms up into the next millisecond.
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


@dataclass
class Plan:
    """FROM and WHERE of a search, with their parameters, and its ORDER BY."""

    source: str
    where: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    order: str = _TIEBREAK
    match: str | None = None
    materialized: bool = False

    @property
    def condition(self) -> str:
        return f"WHERE {' AND '.join(self.where)}" if self.where else ""


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _clause(terms: Sequence[str], phrase: bool) -> str:
    if phrase:
        return _quote(" ".join(terms))
    return " AND ".join(_quote(t) for t in dict.fromkeys(terms))


def match_expression(parsed: ParsedQuery, filters: Mapping[str, list[str]]) -> str | None:
    """The FTS5 query for the text and keyword filters; None when neither asks anything."""
    positive = [_clause(c.terms, c.phrase) for c in parsed.include]
    positive += [
        "(" + " OR ".join(_quote(key_token(name, v)) for v in values) + ")"
        for name, values in filters.items()
    ]
    if not positive:
        return None
    expression = " AND ".join(positive)
    return expression + "".join(f" NOT ({_clause(c.terms, c.phrase)})" for c in parsed.exclude)


def plan(request: SearchRequest, parsed: ParsedQuery, filters: Mapping[str, list[str]]) -> Plan:
    match = match_expression(parsed, filters)
    if match is None:
        result = Plan(f"{DOCS} d")
    else:
        # CROSS JOIN makes the full-text match drive the loop; left to itself the planner
        # may walk a keyword index and re-run the match for every row it finds.
        result = Plan(f"{FTS} f CROSS JOIN {DOCS} d ON d.id = f.rowid", [f"{FTS} MATCH ?"])
        result.params.append(match)
        result.match = match
    for name, bounds in request.ranges.items():
        column = f"d.{name.removesuffix('_at')}_ms"
        for op, moment in ((">=", bounds.gte), ("<", bounds.lt)):
            if moment is not None:
                result.where.append(f"{column} {op} ?")
                result.params.append(epoch_ms(moment))
    result.order = _order(request, parsed)
    return result


def _order(request: SearchRequest, parsed: ParsedQuery) -> str:
    if request.sort == "relevance" and parsed.include:
        # Key tokens are in every match alike, so the text terms decide the score.
        return f"f.rank, {_TIEBREAK}"
    name, descending = SORT_FIELDS[request.sort]
    column = f"d.{name.removesuffix('_at')}_ms"
    if descending:
        return f"{column} DESC, d.ticket_id"  # SQLite puts NULL last when descending
    return f"{column} IS NULL, {column}, d.ticket_id"


def keyset(request: SearchRequest, after: Sequence[Any]) -> tuple[str, list[Any]]:
    """The WHERE part that starts after the hit whose cursor is `after`."""
    if len(after) != 2 or not isinstance(after[1], str):
        raise ValueError("the cursor does not belong to this search")
    value, ticket_id = after
    # SQLite's INTEGER is 64 bits: a larger number would fail inside the driver.
    if value is not None and not (isinstance(value, int) and -(2**63) <= value < 2**63):
        raise ValueError("the cursor does not belong to this search")
    name, descending = SORT_FIELDS[request.sort]
    column = f"d.{name.removesuffix('_at')}_ms"
    if value is None:
        return f"({column} IS NULL AND d.ticket_id > ?)", [ticket_id]
    op = "<" if descending else ">"
    sql = f"({column} {op} ? OR {column} IS NULL OR ({column} = ? AND d.ticket_id > ?))"
    return sql, [value, value, ticket_id]


def bucket_sql(column: str, interval: str) -> str:
    """A number that is equal for instants in one bucket of `interval`, in UTC+8."""
    local_day = f"(({column} + 28800000) / 86400000)"
    if interval == "day":
        return local_day
    if interval == "week":
        return f"(({local_day} + 3) / 7)"  # 1970-01-01 was a Thursday
    return f"strftime('%Y-%m', ({column} + 28800000) / 1000, 'unixepoch')"
