"""What leaders look at: hot spots with the tickets behind them, and the dashboard (SLA
compliance over time, the three rates per department, overdue tickets per department)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any, get_args

from proto.rates import Weights
from proto.vocabulary import CallerChannel
from services.search.adapters.index import (
    TIME_ZONE,
    Bucket,
    DateRange,
    Histogram,
    SearchRequest,
)
from services.search.domain import hotspots, rates
from services.search.domain.query import ParsedQuery
from services.search.handlers.context import SearchContext
from services.search.handlers.reads import present

WEEK = timedelta(days=7)
MAX_KEYS = 1_000  # distinct category × street pairs counted per week
TICKETS_PER_SPOT = 5
# Listed even when none came in; `proactive` (no caller) is listed only when there are some.
CHANNELS: tuple[str, ...] = get_args(CallerChannel)
PROACTIVE = {"channel": ["proactive"]}


def _week_counts(
    reader: SearchContext, end: datetime, weeks_back: int, filters: Mapping[str, list[str]]
) -> dict[str, int]:
    window = DateRange(end - WEEK * (weeks_back + 1), end - WEEK * weeks_back)
    request = SearchRequest(
        filters=filters,
        ranges={"created_at": window},
        facets=["hotspot_key"],
        facet_size=MAX_KEYS,
        limit=0,
    )
    return {b.key: b.count for b in reader.run(request).facets["hotspot_key"]}


def hot_spots(
    reader: SearchContext,
    now: datetime,
    *,
    weeks: int = 8,
    min_count: int = 3,
    limit: int = 20,
    filters: Mapping[str, list[str]] | None = None,
) -> dict[str, Any]:
    """The last 7 days against the `weeks` before, per category × street; each spot with
    its weekly history, its names and the latest of its tickets."""
    chosen = dict(filters or {})
    current = _week_counts(reader, now, 0, chosen)
    baseline = [_week_counts(reader, now, k, chosen) for k in range(weeks, 0, -1)]
    spots = hotspots.rank(current, baseline, min_count=min_count, limit=limit)
    categories = reader.names("category_code", [s.category_code for s in spots])
    areas = reader.names("street_code", [s.area_code for s in spots])
    since = now - WEEK
    return {
        "from": since.isoformat(),
        "to": now.isoformat(),
        "weeks": weeks,
        "min_count": min_count,
        "spots": [
            {
                "key": s.key,
                "category_code": s.category_code,
                "category_name": categories.get(s.category_code),
                "area_code": s.area_code,
                "area_name": areas.get(s.area_code),
                "count": s.count,
                "weekly": list(s.weekly),
                "expected": s.expected,
                "ratio": s.ratio,
                "score": s.score,
                "tickets": _behind(reader, s, since, now, chosen),
            }
            for s in spots
        ],
    }


def _behind(
    reader: SearchContext,
    spot: hotspots.Spot,
    since: datetime,
    now: datetime,
    filters: Mapping[str, list[str]],
) -> list[dict[str, Any]]:
    request = SearchRequest(
        filters={**filters, "hotspot_key": [spot.key]},
        ranges={"created_at": DateRange(since, now)},
        sort="newest",
        limit=TICKETS_PER_SPOT,
    )
    keep = ("ticket_id", "number", "status", "description", "created_at", "overdue")
    hits = [present(doc, ParsedQuery(), now) for doc in reader.run(request).hits]
    return [{k: hit.get(k) for k in keep} for hit in hits]


def month_start(day: date, back: int = 0) -> datetime:
    """Midnight (Beijing) of the first day of the month `back` months before `day`'s."""
    months = day.year * 12 + day.month - 1 - back
    return datetime(months // 12, months % 12 + 1, 1, tzinfo=TIME_ZONE)


def dashboard(
    reader: SearchContext, now: datetime, weights: Weights, months: int = 6
) -> dict[str, Any]:
    today = now.astimezone(TIME_ZONE).date()
    start, this_month = month_start(today, months - 1), month_start(today)
    return {
        "generated_at": now.isoformat(),
        "month": this_month.date().isoformat(),
        "since": start.date().isoformat(),
        "sla": _sla(reader, start),
        "departments": _rates(reader, this_month, weights),
        "rates_window": _rates(reader, start, weights),
        "overdue": _overdue(reader, now),
        "channels": _channels(reader, start),
        "hotspots": hot_spots(reader, now, limit=10)["spots"],
        "totals": _totals(reader, now, this_month),
        "proactive": _proactive(reader, this_month),
    }


def _sla(reader: SearchContext, start: datetime) -> list[dict[str, Any]]:
    request = SearchRequest(
        ranges={"resolved_at": DateRange(start)},
        histogram=Histogram("resolved_at", "month"),
        sums=list(rates.SLA_COUNTERS),
        limit=0,
    )
    return [
        {"month": b.key, **b.sums, "compliance": rates.sla_compliance(b.sums)}
        for b in reader.run(request).histogram
    ]


def _rates(reader: SearchContext, start: datetime, weights: Weights) -> list[dict[str, Any]]:
    request = SearchRequest(
        ranges={"rated_at": DateRange(start)},
        facets=["rating_department_code"],
        facet_size=200,
        sums=list(rates.COUNTERS),
        limit=0,
    )
    buckets = reader.run(request).facets["rating_department_code"]
    excluded = {
        b.key.removeprefix(rates.EXCLUDED): b.count
        for b in buckets
        if b.key.startswith(rates.EXCLUDED)
    }
    counted = [b for b in buckets if not b.key.startswith(rates.EXCLUDED)]
    # A department whose every rated ticket was excluded is still listed, with no rate.
    zero = dict.fromkeys(rates.COUNTERS, 0)
    counted += [Bucket(c, 0, zero) for c in sorted(set(excluded) - {b.key for b in counted})]
    rows = reader.labelled("rating_department_code", counted)
    return [
        row | rates.three_rates(row, weights) | {"excluded_tickets": excluded.get(row["key"], 0)}
        for row in rows
    ]


def _overdue(reader: SearchContext, now: datetime) -> list[dict[str, Any]]:
    request = SearchRequest(
        filters={"is_open": ["true"]},
        ranges={"due_at": DateRange(lt=now)},
        facets=["department_code"],
        facet_size=200,
        limit=0,
    )
    return reader.labelled("department_code", reader.run(request).facets["department_code"])


def _channels(reader: SearchContext, start: datetime) -> list[dict[str, Any]]:
    """Tickets received since `start` by the channel they came in by (phone, web, app,
    email), every channel listed, most first."""
    request = SearchRequest(ranges={"created_at": DateRange(start)}, facets=["channel"], limit=0)
    counts = {b.key: b.count for b in reader.run(request).facets["channel"]}
    rows = [{"key": c, "count": counts.get(c, 0)} for c in (*CHANNELS, *sorted(counts))]
    unique = list({row["key"]: row for row in rows}.values())
    return sorted(unique, key=lambda row: -row["count"])


def _totals(reader: SearchContext, now: datetime, this_month: datetime) -> dict[str, int]:
    def count(**options: Any) -> int:
        return reader.run(SearchRequest(limit=0, **options)).total

    return {
        "open": count(filters={"is_open": ["true"]}),
        "overdue": count(filters={"is_open": ["true"]}, ranges={"due_at": DateRange(lt=now)}),
        "created_this_month": count(ranges={"created_at": DateRange(this_month)}),
        "breached_open": count(filters={"is_open": ["true"], "sla_state": ["breached"]}),
    }


def _proactive(reader: SearchContext, this_month: datetime) -> dict[str, Any]:
    """Proactive tickets (未诉先办) this month: opened, still open, resolved and resolved in
    time. They count in SLA compliance like any other; nobody rates them (no caller), so
    they count in none of the three rates (docs/three-rates.md)."""

    def run(**options: Any) -> Any:
        filters = {**PROACTIVE, **options.pop("filters", {})}
        return reader.run(SearchRequest(filters=filters, limit=0, **options))

    resolved = run(ranges={"resolved_at": DateRange(this_month)}, sums=list(rates.SLA_COUNTERS))
    return {
        "created_this_month": run(ranges={"created_at": DateRange(this_month)}).total,
        "open": run(filters={"is_open": ["true"]}).total,
        "resolved_this_month": int(resolved.sums.get("m_resolved", 0)),
        "within_sla_this_month": int(resolved.sums.get("m_within_sla", 0)),
    }
