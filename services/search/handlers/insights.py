"""What leaders look at: hot spots with the tickets behind them, and the dashboard (SLA
compliance over time, the three rates per department, overdue tickets per department)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any, get_args

from proto.rates import Weights
from proto.vocabulary import CallerChannel
from services.search.adapters.index import (
    MAX_FACET_SIZE,
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
TOP_PROBLEMS = 10  # the month's most frequent categories, at their finest level
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
    """Midnight (Beijing) of the first day of the month `back` months before `day`'s
    (a negative `back` counts forward)."""
    months = day.year * 12 + day.month - 1 - back
    return datetime(months // 12, months % 12 + 1, 1, tzinfo=TIME_ZONE)


def dashboard(
    reader: SearchContext, now: datetime, weights: Weights, months: int = 6
) -> dict[str, Any]:
    """The figures of the month under way (Beijing time)."""
    return month_figures(reader, now.astimezone(TIME_ZONE).date(), weights, now, months)


def month_figures(
    reader: SearchContext, month: date, weights: Weights, now: datetime, months: int = 6
) -> dict[str, Any]:
    """The figures of the month holding `month`, as the dashboard shows them and the
    monthly report prints them, with trends over the `months` months ending with it.

    What happened in the month (tickets received, resolved, rated) is counted from the
    month's first instant until the next month's; the backlog (open, overdue, breached) is
    as it stands at `now`, of the tickets received by the month's end, overdue meaning past
    a deadline before the month's end; hot spots are the month's last 7 days (until `now`
    for the month under way) against the weeks before. For the month under way every
    bound past `now` changes nothing, so these are the live dashboard's figures."""
    first, end = month_start(month), month_start(month, -1)
    start = month_start(month, months - 1)
    until = min(now, end)
    span, window = DateRange(first, end), DateRange(start, end)
    # Only a month that has ended bounds the backlog by when tickets came in.
    received = {} if end > now else {"created_at": DateRange(lt=end)}
    rated = _rates(reader, span, weights)
    return {
        "generated_at": now.isoformat(),
        "month": first.date().isoformat(),
        "since": start.date().isoformat(),
        "until": until.isoformat(),
        "sla": _sla(reader, window),
        "departments": rated["departments"],
        "streets": rated["streets"],
        "city": rated["city"],
        "rates_window": _rates(reader, window, weights, streets=False)["departments"],
        "overdue": _overdue(reader, until, received),
        "resolutions": _resolutions(reader, span),
        "channels": _channels(reader, window),
        "volume": _volume(reader, span),
        "hotspots": hot_spots(reader, until, limit=10)["spots"],
        "totals": _totals(reader, until, span, received),
        "proactive": _proactive(reader, span, received),
        "suggestions": suggestions(reader, span),
    }


def _sla(reader: SearchContext, window: DateRange) -> list[dict[str, Any]]:
    request = SearchRequest(
        ranges={"resolved_at": window},
        histogram=Histogram("resolved_at", "month"),
        sums=list(rates.SLA_COUNTERS),
        limit=0,
    )
    return [
        {"month": b.key, **b.sums, "compliance": rates.sla_compliance(b.sums)}
        for b in reader.run(request).histogram
    ]


def _rates(
    reader: SearchContext, span: DateRange, weights: Weights, *, streets: bool = True
) -> dict[str, Any]:
    """The three rates of the ratings given in `span`: per department, ranked (with the
    tickets an upheld appeal excludes), city-wide and per street of the tickets."""
    request = SearchRequest(
        ranges={"rated_at": span},
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
    rows = _rated_rows(reader, "rating_department_code", counted, excluded, weights)
    found: dict[str, Any] = {
        "departments": rates.ranked(rows, weights),
        "city": rates.combined(rows, weights),
    }
    if streets:
        kept = [b.key for b in counted]
        dropped = [f"{rates.EXCLUDED}{code}" for code in sorted(excluded)]
        found["streets"] = _street_rates(reader, span, weights, kept, dropped)
    return found


def _street_rates(
    reader: SearchContext,
    span: DateRange,
    weights: Weights,
    counted: list[str],
    excluded: list[str],
) -> list[dict[str, Any]]:
    """The same ratings per street of the ticket: those counted for a department (so a
    ticket an upheld appeal excludes counts for no street either, as for the city)."""

    def by_street(keys: list[str], sums: list[str]) -> list[Bucket]:
        if not keys:
            return []
        request = SearchRequest(
            filters={"rating_department_code": keys},
            ranges={"rated_at": span},
            facets=["street_code"],
            facet_size=MAX_FACET_SIZE,
            sums=sums,
            limit=0,
        )
        return reader.run(request).facets["street_code"]

    by_excluded = {b.key: b.count for b in by_street(excluded, [])}
    counted_rows = by_street(counted, list(rates.COUNTERS))
    rows = _rated_rows(reader, "street_code", counted_rows, by_excluded, weights)
    return rates.ranked(rows, weights)


def _rated_rows(
    reader: SearchContext,
    field: str,
    counted: list[Bucket],
    excluded: Mapping[str, int],
    weights: Weights,
) -> list[dict[str, Any]]:
    """Named rows of summed counters with their three rates and the tickets an upheld
    appeal excludes; a code whose every rated ticket was excluded is still listed, with no
    rate."""
    zero = dict.fromkeys(rates.COUNTERS, 0)
    listed = counted + [
        Bucket(c, 0, zero) for c in sorted(set(excluded) - {b.key for b in counted})
    ]
    return [
        row | rates.three_rates(row, weights) | {"excluded_tickets": excluded.get(row["key"], 0)}
        for row in reader.labelled(field, listed)
    ]


def _overdue(
    reader: SearchContext, until: datetime, received: Mapping[str, DateRange]
) -> list[dict[str, Any]]:
    request = SearchRequest(
        filters={"is_open": ["true"]},
        ranges={**received, "due_at": DateRange(lt=until)},
        facets=["department_code"],
        facet_size=200,
        limit=0,
    )
    return reader.labelled("department_code", reader.run(request).facets["department_code"])


def _resolutions(reader: SearchContext, span: DateRange) -> list[dict[str, Any]]:
    """Lead resolutions in `span` per resolving department: how many, how many in time,
    how many late, and the share in time."""
    request = SearchRequest(
        ranges={"resolved_at": span},
        facets=["resolved_department_code"],
        facet_size=200,
        sums=list(rates.SLA_COUNTERS),
        limit=0,
    )
    buckets = reader.run(request).facets["resolved_department_code"]
    return [
        row
        | {
            "late": row["m_resolved"] - row["m_within_sla"],
            "compliance": rates.sla_compliance(row),
        }
        for row in reader.labelled("resolved_department_code", buckets)
    ]


def _channels(reader: SearchContext, window: DateRange) -> list[dict[str, Any]]:
    """Tickets received in `window` by the channel they came in by (phone, web, app,
    email), every channel listed, most first."""
    request = SearchRequest(ranges={"created_at": window}, facets=["channel"], limit=0)
    counts = {b.key: b.count for b in reader.run(request).facets["channel"]}
    rows = [{"key": c, "count": counts.get(c, 0)} for c in (*CHANNELS, *sorted(counts))]
    unique = list({row["key"]: row for row in rows}.values())
    return sorted(unique, key=lambda row: -row["count"])


def _volume(reader: SearchContext, span: DateRange) -> dict[str, Any]:
    """Tickets received in `span`: by channel, by top-level category, by district, and the
    most frequent problems (categories at their finest level)."""
    request = SearchRequest(
        ranges={"created_at": span},
        facets=["category_code", "district_code"],
        facet_size=MAX_FACET_SIZE,
        limit=0,
    )
    facets = reader.run(request).facets
    leaves = facets["category_code"]
    tops: dict[str, int] = {}
    for b in leaves:
        tops[b.key[:2]] = tops.get(b.key[:2], 0) + b.count
    ordered = sorted(tops.items(), key=lambda item: (-item[1], item[0]))
    return {
        "channels": _channels(reader, span),
        "categories": reader.labelled("category_code", [Bucket(k, n) for k, n in ordered]),
        "districts": reader.labelled("district_code", facets["district_code"]),
        "problems": reader.labelled("category_code", leaves[:TOP_PROBLEMS]),
    }


def _totals(
    reader: SearchContext, until: datetime, span: DateRange, received: Mapping[str, DateRange]
) -> dict[str, int]:
    def count(**options: Any) -> int:
        return reader.run(SearchRequest(limit=0, **options)).total

    open_ = {"is_open": ["true"]}
    resolved = reader.run(
        SearchRequest(ranges={"resolved_at": span}, sums=list(rates.SLA_COUNTERS), limit=0)
    )
    return {
        "open": count(filters=open_, ranges=received),
        "overdue": count(filters=open_, ranges={**received, "due_at": DateRange(lt=until)}),
        "created_this_month": count(ranges={"created_at": span}),
        "breached_open": count(filters=open_ | {"sla_state": ["breached"]}, ranges=received),
        "resolved_this_month": int(resolved.sums.get("m_resolved", 0)),
        "within_sla_this_month": int(resolved.sums.get("m_within_sla", 0)),
    }


def _proactive(
    reader: SearchContext, span: DateRange, received: Mapping[str, DateRange]
) -> dict[str, Any]:
    """Proactive tickets (未诉先办) of the month: opened, still open, resolved and resolved
    in time. They count in SLA compliance like any other; nobody rates them (no caller), so
    they count in none of the three rates (docs/three-rates.md)."""

    def run(**options: Any) -> Any:
        filters = {**PROACTIVE, **options.pop("filters", {})}
        return reader.run(SearchRequest(filters=filters, limit=0, **options))

    resolved = run(ranges={"resolved_at": span}, sums=list(rates.SLA_COUNTERS))
    return {
        "created_this_month": run(ranges={"created_at": span}).total,
        "open": run(filters={"is_open": ["true"]}, ranges=received).total,
        "resolved_this_month": int(resolved.sums.get("m_resolved", 0)),
        "within_sla_this_month": int(resolved.sums.get("m_within_sla", 0)),
    }


def suggestions(reader: SearchContext, span: DateRange) -> dict[str, Any]:
    """Tickets sent by hand from the review queue in `span` while carrying a category
    suggestion: how many went where it pointed, how many elsewhere, and the share accepted
    (None when nothing was decided)."""
    request = SearchRequest(
        ranges={"suggestion_decided_at": span}, facets=["suggestion_outcome"], limit=0
    )
    counts = {b.key: b.count for b in reader.run(request).facets["suggestion_outcome"]}
    accepted, overridden = counts.get("accepted", 0), counts.get("overridden", 0)
    decided = accepted + overridden
    return {
        "accepted": accepted,
        "overridden": overridden,
        "decided": decided,
        "acceptance": accepted / decided if decided else None,
    }
