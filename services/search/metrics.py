"""Search's own metrics: the current hot spots, for leaders' dashboards and alerts."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

from services.common.clock import utcnow
from services.search.handlers import insights
from services.search.handlers.context import SearchContext

HOTSPOTS = Gauge("hotline_search_hotspots", "Category × street pairs unusually busy this week")
HOTSPOT_SCORE = Gauge(
    "hotline_search_hotspot_score",
    "How unusual the ten hottest spots are (−log10 of the chance of such a week)",
    ["category", "area"],
)
HOTSPOT_ALARMS_ACTIVE = Gauge(
    "hotline_hotspot_alarms_active", "Hot-spot alarms raised and not yet cleared"
)
HOTSPOT_ALARMS_TOTAL = Counter(
    "hotline_hotspot_alarms", "Hot-spot alarms raised (one per crossing of a spot's threshold)"
)
TOP = 10


def refresh_hotspots(reader: SearchContext) -> int:
    """Recomputes the gauges; the label set is the current top ten only, so it stays small.

    Returns 0 so its worker always waits its full interval between runs."""
    spots = insights.hot_spots(reader, utcnow(), limit=TOP)["spots"]
    HOTSPOTS.set(len(spots))
    HOTSPOT_SCORE.clear()
    for spot in spots:
        HOTSPOT_SCORE.labels(spot["category_code"], spot["area_code"]).set(spot["score"])
    return 0
