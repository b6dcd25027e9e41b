"""Dispatch's own metrics (base units; departments and clocks as labels, never tickets)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import get_args

from prometheus_client import Counter, Gauge, Histogram

from proto.vocabulary import Channel

HOUR = 3600.0
DAY = 24 * HOUR
# Bucket edges sit at the SLA limits of the shipped policies, so "within 24 h" is a bucket.
SLA_BUCKETS = (
    0.25 * HOUR, 0.5 * HOUR, HOUR, 2 * HOUR, 4 * HOUR, 12 * HOUR, DAY, 2 * DAY, 3 * DAY,
    7 * DAY, 10 * DAY, 15 * DAY, 30 * DAY,
)  # fmt: skip

OPEN_ASSIGNMENTS = Gauge(
    "hotline_dispatch_open_assignments",
    "Open assignments by department and SLA state (on_time, warned, breached, paused)",
    ["department", "sla_state"],
)
SLA_WARNINGS = Counter(
    "hotline_dispatch_sla_warnings_total", "催办 warnings fired, by clock", ["clock"]
)
SLA_BREACHES = Counter(
    "hotline_dispatch_sla_breaches_total", "SLA breaches fired, by clock", ["clock"]
)
TIME_TO = {
    clock: Histogram(
        f"hotline_dispatch_time_to_{clock}_seconds",
        f"Wall-clock time from dispatch to {clock}",
        buckets=SLA_BUCKETS,
    )
    for clock in ("acknowledge", "contact", "resolve")
}
CLOCKS_COMPLETED = Counter(
    "hotline_dispatch_clocks_completed_total",
    "Steps done (acknowledge, contact, resolve) by department, within their limit or not",
    ["clock", "department", "outcome"],
)
FIRE_DELAY = Histogram(
    "hotline_dispatch_scheduler_fire_delay_seconds",
    "How late a warning or breach fired after its due time",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 30, 300),
)
TICK_DURATION = Histogram(
    "hotline_dispatch_scheduler_tick_seconds",
    "Time one scheduler tick took",
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5),
)
ROUTED = Counter(
    "hotline_dispatch_routed_total",
    "Tickets routed, by how (rule, territory, review, reopen, manual) and the channel they "
    "came in by",
    ["how", "channel"],
)
SUGGESTIONS = Counter(
    "hotline_dispatch_suggestions_total",
    "Tickets sent by hand from the review queue while carrying a category suggestion: "
    "accepted (sent where the suggestion pointed) or overridden (sent elsewhere)",
    ["outcome"],
)
CALENDAR_FALLBACK = Counter(
    "hotline_dispatch_calendar_fallback_total",
    "Years a working-day clock met without a holiday calendar (Monday–Friday assumed)",
)
CALENDAR_KNOWN_UNTIL_DAYS = Gauge(
    "hotline_calendar_known_until_days",
    "Days from today (Beijing) to the last day the holiday calendar knows: below 60, import "
    "next year's holidays",
)
NOTICES = Counter(
    "hotline_dispatch_notices_total",
    "Warning and breach notices to departments' duty contacts, by channel and outcome "
    "(sent, retry, failed)",
    ["channel", "outcome"],
)

CLOCKS = ("acknowledge", "contact", "resolve")
OUTCOMES = ("met", "missed")
SLA_STATES = ("on_time", "warned", "breached", "paused")
# The first part of a route's rule (rule:R-1, territory:street, ...), and a review.
ROUTES = ("rule", "territory", "review", "reopen", "manual", "suggestion")
SUGGESTION_OUTCOMES = ("accepted", "overridden")
CHANNELS: tuple[str, ...] = get_args(Channel)


def declare(departments: Iterable[str]) -> None:
    """Creates the counters dashboards and alerts read at zero for every clock and
    department: a series born at 1 is invisible to rate() and increase(), so the first
    breach or completed step would go uncounted there."""
    for how in ROUTES:
        for channel in CHANNELS:
            ROUTED.labels(how, channel)
    for outcome in SUGGESTION_OUTCOMES:
        SUGGESTIONS.labels(outcome)
    for clock in CLOCKS:
        SLA_WARNINGS.labels(clock)
        SLA_BREACHES.labels(clock)
        for department in departments:
            for outcome in OUTCOMES:
                CLOCKS_COMPLETED.labels(clock, department, outcome)


def set_open_assignments(departments: Iterable[str], counts: dict[tuple[str, str], int]) -> None:
    """Every department in every SLA state, at zero unless counted: an empty department
    reads 0 open and 0 overdue rather than nothing."""
    values = {(d, s): 0 for d in departments for s in SLA_STATES} | counts
    OPEN_ASSIGNMENTS.clear()
    for (department, sla_state), count in values.items():
        OPEN_ASSIGNMENTS.labels(department, sla_state).set(count)


declare(())
