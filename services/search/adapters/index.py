"""The search index port: one JSON document per ticket, full-text search, exact filters,
date ranges, facets, date histograms, sums, sorting and deep paging.

Two adapters implement it and pass the same contract suite (tests/contract):
`ElasticIndex` (Elasticsearch, production) and `EmbeddedIndex` (SQLite FTS5, the default).

Semantics, identical on both:

- the text is parsed by `domain.query` (words, "phrases", -exclusions) and analyzed like
  Elasticsearch's `cjk` analyzer (`domain.tokenize`); every included term must occur
  somewhere in the full-text fields `TEXT_FIELDS`, a phrase's terms next to each other in
  one field, and no excluded word may occur. A blank text matches every document; a text
  with no searchable term matches none;
- filters are exact matches on `KEYWORD_FIELDS`: a list of values matches any of them, and a
  list-valued field matches when any of its values does; `ranges` bound `DATE_FIELDS`
  (`gte` inclusive, `lt` exclusive); unknown names raise `ValueError`;
- facets count the matching documents per value of a `FACET_FIELDS` field, most first then
  by value, and sum `SUM_FIELDS` in each bucket; a histogram does the same per day, week
  (from Monday) or month of a date field in `TIME_ZONE`, keyed by the bucket's first day;
- sorts: `relevance` (score, then newest, then ticket id — relevance scores differ between
  the backends, the hit sets do not), `newest`, `oldest`, `due` (soonest deadline first);
  documents without the sort's date come last. Pages end at `MAX_WINDOW` hits deep with
  `offset`; `after` (the `cursor` of the previous page's last hit) pages on without end for
  every sort but relevance.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, Protocol, runtime_checkable

Doc = dict[str, Any]

# Single-valued keyword fields: they can be filtered and faceted.
FACET_FIELDS = (
    "status",
    "request_type",
    "urgency",
    "channel",
    "category_code",
    "area_code",
    "district_code",
    "street_code",
    "department_code",
    "resolved_department_code",
    "rating_department_code",
    "sla_state",
    "is_open",
    "hotspot_key",
    "suggestion_outcome",
)
# Fields added since the index's first layout: an index made before them gains them in place
# (unset on the documents written before, until the next rebuild) rather than being dropped.
ADDED_FIELDS = ("suggestion_outcome", "suggestion_decided_at")
# List-valued keyword fields (every level of a code, every department involved): filter only.
LIST_FIELDS = ("category_codes", "area_codes", "department_codes")
KEYWORD_FIELDS = FACET_FIELDS + LIST_FIELDS
DATE_FIELDS = ("created_at", "due_at", "resolved_at", "rated_at", "suggestion_decided_at")
SUM_FIELDS = (
    "calls",
    "m_resolved",
    "m_within_sla",
    "m_rated",
    "m_responded",
    "m_solved",
    "m_satisfied",
    "m_basically_satisfied",
)
# Searched as one bag of terms: a query may name a category and a place and a word of the text.
TEXT_FIELDS = (
    "description", "more_descriptions", "address", "number", "category_path", "area_path",
)  # fmt: skip
# Elasticsearch refuses deeper pages (index.max_result_window); the embedded index does too.
MAX_WINDOW = 10_000
MAX_FACET_SIZE = 1_000
TIME_ZONE = timezone(timedelta(hours=8), "Asia/Shanghai")  # no daylight saving since 1991
Sort = Literal["relevance", "newest", "oldest", "due"]
SORTS: tuple[Sort, ...] = ("relevance", "newest", "oldest", "due")
Interval = Literal["day", "week", "month"]
# The date each sort orders by, and whether the latest comes first.
SORT_FIELDS: dict[str, tuple[str, bool]] = {
    "relevance": ("created_at", True),
    "newest": ("created_at", True),
    "oldest": ("created_at", False),
    "due": ("due_at", False),
}


class SearchUnavailable(RuntimeError):
    """The index could not answer (unreachable, or refused a request it should take)."""


@dataclass(frozen=True)
class DateRange:
    """From `gte` (inclusive) until `lt` (exclusive); None leaves that side open."""

    gte: datetime | None = None
    lt: datetime | None = None


@dataclass(frozen=True)
class Histogram:
    field: str
    interval: Interval = "day"


@dataclass(frozen=True)
class SearchRequest:
    text: str = ""
    filters: Mapping[str, str | Sequence[str]] = field(default_factory=dict)
    ranges: Mapping[str, DateRange] = field(default_factory=dict)
    sort: Sort = "relevance"
    limit: int = 20
    offset: int = 0
    after: Sequence[Any] | None = None
    facets: Sequence[str] = ()
    facet_size: int = 20
    histogram: Histogram | None = None
    sums: Sequence[str] = ()


@dataclass(frozen=True)
class Bucket:
    key: str
    count: int
    sums: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class SearchResult:
    """`total` counts every match; `hits` is the page; `cursor` is the `after` value that
    continues from the page's last hit (None when the page is empty or the sort is relevance)."""

    total: int
    hits: list[Doc] = field(default_factory=list)
    facets: dict[str, list[Bucket]] = field(default_factory=dict)
    histogram: list[Bucket] = field(default_factory=list)
    sums: dict[str, int] = field(default_factory=dict)
    cursor: list[Any] | None = None


@runtime_checkable
class SearchIndex(Protocol):
    """Where the search service keeps its read model of tickets.

    A document is a JSON-serialisable dict keyed by `ticket_id`; every key is stored and given
    back as it was put, including keys this port does not know.
    """

    def ensure(self) -> None:
        """Create the index (tables, templates) if missing; safe to call any number of times."""

    def put(self, doc: Mapping[str, Any]) -> None:
        """Store `doc`, replacing any document with the same `ticket_id` as a whole."""

    def put_many(self, docs: Iterable[Mapping[str, Any]]) -> int:
        """Store many documents as `put` would, in batches; returns how many were written.
        A bad document raises and stops the run; batches before it stay written."""

    def get(self, ticket_id: str) -> Doc | None:
        """The document of `ticket_id` as last put, or None."""

    def search(self, request: SearchRequest) -> SearchResult:
        """The documents matching `request`; ValueError for a request it cannot answer
        (unknown field, bad page, malformed text — `domain.query.QuerySyntaxError`)."""

    def refresh(self) -> None:
        """Make everything put so far visible to `search` (`get` sees it at once)."""

    def drop(self) -> None:
        """Delete the index and everything in it; `ensure` starts it again empty."""

    def ping(self) -> bool:
        """Whether the index can be reached now; never raises."""

    def close(self) -> None:
        """Release connections; the object is not used afterwards."""


@runtime_checkable
class Rebuildable(Protocol):
    """An index that can be rebuilt beside itself and swapped in at once."""

    def next_generation(self) -> SearchIndex:
        """A new, empty, ensured index that searches do not see yet."""

    def promote(self, generation: SearchIndex) -> None:
        """Makes `generation` the index every reader and writer uses, in one atomic step.
        Deletes nothing: the generation it replaces stays until `prune`."""

    def discard(self, generation: SearchIndex) -> None:
        """Deletes a generation that was never promoted (a rebuild that gave up)."""

    def generations(self) -> list[str]:
        """The names of every generation, oldest first."""

    def live_generation(self) -> str:
        """The name of the generation readers and writers use now."""

    def prune(self, keep: int) -> list[str]:
        """Deletes every generation but the newest `keep` and the live one; returns the
        names deleted, oldest first."""


def check_request(request: SearchRequest) -> dict[str, list[str]]:
    """The filters as lists of values; raises ValueError for anything the port refuses."""
    filters = {
        name: [value] if isinstance(value, str) else list(value)
        for name, value in request.filters.items()
    }
    _known("filter on", filters, KEYWORD_FIELDS)
    if any(not values for values in filters.values()):
        raise ValueError("a filter needs at least one value")
    _known("bound", request.ranges, DATE_FIELDS)
    _known("facet on", request.facets, FACET_FIELDS)
    _known("sum", request.sums, SUM_FIELDS)
    if request.histogram is not None:
        _known("draw a histogram of", [request.histogram.field], DATE_FIELDS)
    if request.sort not in SORTS:
        raise ValueError(f"cannot sort by {request.sort}; use one of {SORTS}")
    if not 0 < request.facet_size <= MAX_FACET_SIZE:
        raise ValueError(f"facet_size must lie in 1..{MAX_FACET_SIZE}")
    check_page(request.limit, request.offset)
    if request.after is not None and (request.sort == "relevance" or request.offset):
        raise ValueError("`after` pages only a sort by newest, oldest or due, without offset")
    return filters


def _known(verb: str, names: Iterable[str], allowed: Sequence[str]) -> None:
    unknown = sorted(set(names) - set(allowed))
    if unknown:
        raise ValueError(f"cannot {verb} {', '.join(unknown)}; use one of {allowed}")


def check_page(limit: int, offset: int) -> None:
    """Raises ValueError for a negative limit or offset, or a page beyond `MAX_WINDOW`."""
    if limit < 0 or offset < 0:
        raise ValueError("limit and offset must not be negative")
    if limit + offset > MAX_WINDOW:
        raise ValueError(f"offset + limit must not exceed {MAX_WINDOW}; narrow the search")


def ticket_id_of(doc: Mapping[str, Any]) -> str:
    """The document's `ticket_id`; raises ValueError when it is missing or empty."""
    ticket_id = doc.get("ticket_id")
    if not isinstance(ticket_id, str) or not ticket_id:
        raise ValueError("a search document needs a non-empty string ticket_id")
    return ticket_id


def text_values(doc: Mapping[str, Any]) -> list[str]:
    """The full-text field values of `doc`, one string per value (lists are flattened)."""
    values: list[str] = []
    for name in TEXT_FIELDS:
        value = doc.get(name)
        items = value if isinstance(value, list) else [value]
        values.extend(str(item) for item in items if item is not None and item != "")
    return values


def keyword(value: Any) -> str | None:
    """A keyword value as both backends index it (a boolean as "true"/"false")."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def bucket_day(epoch_ms: int, interval: Interval) -> str:
    """The first day (in `TIME_ZONE`) of the `interval` holding the instant `epoch_ms`."""
    day = datetime.fromtimestamp(epoch_ms / 1000, TIME_ZONE).date()
    if interval == "week":
        day -= timedelta(days=day.weekday())
    elif interval == "month":
        day = day.replace(day=1)
    return day.isoformat()
