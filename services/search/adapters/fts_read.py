"""How `EmbeddedIndex` answers one search inside a read transaction: the matching rows
once into a temporary table, then the count and sums, each facet, the histogram and the
page from it, the page's bodies last."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from services.search.adapters import fts_query as q
from services.search.adapters.index import (
    SORT_FIELDS,
    Bucket,
    Doc,
    SearchRequest,
    SearchResult,
    bucket_day,
)


def run(db: sqlite3.Connection, plan: q.Plan, request: SearchRequest) -> SearchResult:
    plan = _materialized(db, plan)
    total, sums = _totals(db, plan, request)
    facets = {name: _facet(db, plan, request, name) for name in request.facets}
    histogram = _histogram(db, plan, request)
    hits, cursor = _page(db, plan, request)
    return SearchResult(total, hits, facets, histogram, sums, cursor)


def _materialized(db: sqlite3.Connection, plan: q.Plan) -> q.Plan:
    """The plan over a temporary table of the matching rows (with their scores), so the
    full-text match runs once for the count, every facet and the page, not once for each."""
    if plan.match is None:
        return plan
    db.execute("DROP TABLE IF EXISTS temp.hits")
    # Scoring every match costs; only a relevance order needs it.
    rank = "f.rank" if "f.rank" in plan.order else "NULL"
    db.execute(
        f"CREATE TEMP TABLE hits AS SELECT d.id AS id, {rank} AS rank "
        f"FROM {plan.source} {plan.condition}",
        plan.params,
    )
    order = plan.order.replace("f.rank", "h.rank")
    source = f"temp.hits h CROSS JOIN {q.DOCS} d ON d.id = h.id"
    return q.Plan(source, order=order, materialized=True)


def _sum_columns(request: SearchRequest) -> str:
    return "".join(f", coalesce(sum(d.{name}), 0)" for name in request.sums)


def _totals(
    db: sqlite3.Connection, plan: q.Plan, request: SearchRequest
) -> tuple[int, dict[str, int]]:
    if plan.materialized and not request.sums:
        row = db.execute("SELECT count(*) FROM temp.hits")
    else:
        sql = f"SELECT count(*){_sum_columns(request)} FROM {plan.source} {plan.condition}"
        row = db.execute(sql, plan.params)
    total, *sums = row.fetchone()
    return int(total), dict(zip(request.sums, map(int, sums), strict=True))


def _facet(db: sqlite3.Connection, plan: q.Plan, request: SearchRequest, name: str) -> list[Bucket]:
    # One GROUP BY per facet: SQLite counts in C faster than one pass tallied in Python.
    where = [*plan.where, f"d.{name} IS NOT NULL"]
    sql = (
        f"SELECT d.{name}, count(*){_sum_columns(request)} FROM {plan.source} "
        f"WHERE {' AND '.join(where)} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?"
    )
    rows = db.execute(sql, [*plan.params, request.facet_size]).fetchall()
    return [_bucket(str(key), count, sums, request) for key, count, *sums in rows]


def _histogram(db: sqlite3.Connection, plan: q.Plan, request: SearchRequest) -> list[Bucket]:
    if request.histogram is None:
        return []
    column = f"d.{request.histogram.field.removesuffix('_at')}_ms"
    group = q.bucket_sql(column, request.histogram.interval)
    where = [*plan.where, f"{column} IS NOT NULL"]
    sql = (
        f"SELECT min({column}), count(*){_sum_columns(request)} FROM {plan.source} "
        f"WHERE {' AND '.join(where)} GROUP BY {group} ORDER BY 1"
    )
    rows = db.execute(sql, plan.params).fetchall()
    interval = request.histogram.interval
    return [_bucket(bucket_day(first, interval), n, sums, request) for first, n, *sums in rows]


def _bucket(key: str, count: int, sums: list[Any], request: SearchRequest) -> Bucket:
    return Bucket(key, int(count), dict(zip(request.sums, map(int, sums), strict=True)))


def _page(
    db: sqlite3.Connection, plan: q.Plan, request: SearchRequest
) -> tuple[list[Doc], list[Any] | None]:
    if request.limit == 0:
        return [], None
    where, params = list(plan.where), list(plan.params)
    if request.after is not None:
        sql, extra = q.keyset(request, request.after)
        where.append(sql)
        params += extra
    condition = f"WHERE {' AND '.join(where)}" if where else ""
    column = f"d.{SORT_FIELDS[request.sort][0].removesuffix('_at')}_ms"
    # The page is found first, then only its bodies are read.
    sql = (
        f"SELECT b.body, p.sort, p.ticket_id FROM (SELECT d.id AS id, {column} AS sort, "
        f"d.ticket_id AS ticket_id FROM {plan.source} {condition} "
        f"ORDER BY {plan.order} LIMIT ? OFFSET ?) p CROSS JOIN {q.BODIES} b ON b.id = p.id"
    )
    rows = db.execute(sql, [*params, request.limit, request.offset]).fetchall()
    hits = [_loads(body) for body, _, _ in rows]
    cursor = None
    if rows and request.sort != "relevance":
        cursor = [rows[-1][1], rows[-1][2]]
    return hits, cursor


def _loads(body: str) -> Doc:
    doc: Doc = json.loads(body)
    return doc
