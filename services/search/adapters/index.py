"""The search index port: one JSON document per ticket, full-text search and exact filters.

Two adapters implement it and pass the same contract suite (tests/contract):
`ElasticIndex` (Elasticsearch, production) and `EmbeddedIndex` (SQLite FTS5, the default).

Query semantics, identical on both:

- the query is analyzed like Elasticsearch's `cjk` analyzer (see `domain.tokenize`); every
  term must occur (AND) somewhere in the full-text fields `TEXT_FIELDS`;
- a blank query matches every document; a query with no searchable term at all (only
  punctuation or stop words) matches none;
- filters are exact matches on the keyword fields `KEYWORD_FIELDS`; any other name raises
  `ValueError`;
- hits come by relevance, then `created_at` newest first, then `ticket_id`, so paging with
  `limit`/`offset` is stable. Relevance scores differ between the backends; the hit sets do not.
  Pages end at `MAX_WINDOW` hits deep.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

Doc = dict[str, Any]

KEYWORD_FIELDS = (
    "status",
    "request_type",
    "urgency",
    "channel",
    "category_code",
    "area_code",
    "department_code",
)
# Elasticsearch refuses deeper pages (index.max_result_window); the embedded index does too.
MAX_WINDOW = 10_000
# Searched as one bag of terms: a query may name a category and a place and a word of the text.
TEXT_FIELDS = ("description", "number", "category_path", "area_path")


@dataclass(frozen=True)
class SearchPage:
    """One page of hits and the number of matching documents in all pages."""

    total: int
    hits: list[Doc] = field(default_factory=list)


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

    def search(
        self,
        query: str,
        filters: Mapping[str, str] | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> SearchPage:
        """Documents matching `query` and every filter, `limit` of them from `offset`."""

    def refresh(self) -> None:
        """Make everything put so far visible to `search` (`get` sees it at once)."""

    def drop(self) -> None:
        """Delete the index and everything in it; `ensure` starts it again empty."""

    def ping(self) -> bool:
        """Whether the index can be reached now; never raises."""

    def close(self) -> None:
        """Release connections; the object is not used afterwards."""


def check_filters(filters: Mapping[str, str] | None) -> dict[str, str]:
    """The filters as a plain dict; raises ValueError naming any non-keyword field."""
    chosen = dict(filters or {})
    unknown = sorted(set(chosen) - set(KEYWORD_FIELDS))
    if unknown:
        raise ValueError(f"cannot filter on {', '.join(unknown)}; use one of {KEYWORD_FIELDS}")
    return chosen


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
