"""The Elasticsearch request body of one `SearchRequest` and the reading of its answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.search.adapters.index import (
    SORT_FIELDS,
    Bucket,
    SearchRequest,
    bucket_day,
)
from services.search.domain.query import Clause, ParsedQuery

FULLTEXT = "fulltext"
_ZONE = "+08:00"


def _match(clause: Clause) -> dict[str, Any]:
    if clause.phrase:
        return {"match_phrase": {FULLTEXT: clause.text}}
    return {"match": {FULLTEXT: {"query": clause.text, "operator": "and"}}}


def query(
    request: SearchRequest, parsed: ParsedQuery, filters: Mapping[str, list[str]]
) -> dict[str, Any]:
    words = [c for c in parsed.include if not c.phrase]
    must: list[dict[str, Any]] = [_match(c) for c in parsed.include if c.phrase]
    if words:
        # One match for all words: every term of every word, anywhere in the full text.
        text = " ".join(c.text for c in words)
        must.append({"match": {FULLTEXT: {"query": text, "operator": "and"}}})
    conditions: list[dict[str, Any]] = [
        {"terms": {name: values}} for name, values in filters.items()
    ]
    for name, bounds in request.ranges.items():
        limits = {op: m.isoformat() for op, m in (("gte", bounds.gte), ("lt", bounds.lt)) if m}
        conditions.append({"range": {name: limits}})
    return {
        "bool": {
            "must": must or [{"match_all": {}}],
            "must_not": [_match(c) for c in parsed.exclude],
            "filter": conditions,
        }
    }


def sort(request: SearchRequest) -> list[Any]:
    name, descending = SORT_FIELDS[request.sort]
    order = {name: {"order": "desc" if descending else "asc", "missing": "_last"}}
    head: list[Any] = [{"_score": {"order": "desc"}}] if request.sort == "relevance" else []
    return [*head, order, {"ticket_id": {"order": "asc"}}]


def _sums(request: SearchRequest) -> dict[str, Any]:
    return {f"sum_{name}": {"sum": {"field": name}} for name in request.sums}


def aggregations(request: SearchRequest) -> dict[str, Any]:
    aggs: dict[str, Any] = _sums(request)
    for name in request.facets:
        aggs[f"facet_{name}"] = {
            "terms": {"field": name, "size": request.facet_size},
            "aggs": _sums(request),
        }
    if request.histogram is not None:
        aggs["histogram"] = {
            "date_histogram": {
                "field": request.histogram.field,
                "calendar_interval": request.histogram.interval,
                "time_zone": _ZONE,
                "min_doc_count": 1,
            },
            "aggs": _sums(request),
        }
    return aggs


def _bucket_sums(raw: Mapping[str, Any], request: SearchRequest) -> dict[str, int]:
    return {name: int(raw[f"sum_{name}"]["value"] or 0) for name in request.sums}


def facets(aggs: Mapping[str, Any], request: SearchRequest) -> dict[str, list[Bucket]]:
    found: dict[str, list[Bucket]] = {}
    for name in request.facets:
        buckets = aggs[f"facet_{name}"]["buckets"]
        rows = [Bucket(_key(b), int(b["doc_count"]), _bucket_sums(b, request)) for b in buckets]
        # The same tie-break as the embedded index, whatever the server's own.
        found[name] = sorted(rows, key=lambda b: (-b.count, b.key))
    return found


def _key(bucket: Mapping[str, Any]) -> str:
    key = bucket.get("key_as_string", bucket["key"])
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


def histogram(aggs: Mapping[str, Any], request: SearchRequest) -> list[Bucket]:
    if request.histogram is None:
        return []
    interval = request.histogram.interval
    return [
        Bucket(bucket_day(int(b["key"]), interval), int(b["doc_count"]), _bucket_sums(b, request))
        for b in aggs["histogram"]["buckets"]
        if b["doc_count"]
    ]


def sums(aggs: Mapping[str, Any], request: SearchRequest) -> dict[str, int]:
    return _bucket_sums(aggs, request)
