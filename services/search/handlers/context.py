"""What every search use case needs, built once by bootstrap: the index, and the labels table
that names codes."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from services.common.errors import Invalid, Unavailable
from services.search.adapters.index import (
    Bucket,
    SearchIndex,
    SearchRequest,
    SearchResult,
    SearchUnavailable,
)
from services.search.adapters.labels import KIND_OF_FIELD, LabelStore


class SearchContext:
    """What the read use cases need: the index, and names for codes from the labels table."""

    def __init__(
        self,
        index: SearchIndex,
        sessions: Callable[[], AbstractContextManager[Any]],
        labels: LabelStore,
    ) -> None:
        self.index = index
        self._sessions = sessions
        self._labels = labels

    def run(self, request: SearchRequest) -> SearchResult:
        """Searches; an index that cannot answer becomes a 503, a refused request a 422."""
        try:
            return self.index.search(request)
        except SearchUnavailable as error:
            raise Unavailable("search.unavailable") from error
        except ValueError as error:
            raise Invalid("search.bad_request", reason=str(error)) from error

    def names(self, field: str, codes: list[str]) -> dict[str, str]:
        kind = KIND_OF_FIELD.get(field)
        if kind is None:
            return {}
        with self._sessions() as session:
            return self._labels.names(session, kind, codes)

    def labelled(self, field: str, buckets: list[Bucket]) -> list[dict[str, Any]]:
        names = self.names(field, [b.key for b in buckets])
        return [
            {"key": b.key, "label": names.get(b.key), "count": b.count, **b.sums} for b in buckets
        ]
