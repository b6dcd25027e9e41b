"""Platform metrics shared by every service (one process = one service, so no service label)."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "hotline_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "hotline_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OUTBOX_BACKLOG = Gauge("hotline_outbox_backlog", "Outbox rows not yet acknowledged by the broker")
OUTBOX_OLDEST_AGE = Gauge(
    "hotline_outbox_oldest_unsent_age_seconds", "Age of the oldest outbox row not yet sent"
)
OUTBOX_PUBLISHED = Counter("hotline_outbox_published_total", "Outbox rows acknowledged", ["topic"])
RELAY_FAILURES = Counter("hotline_outbox_relay_failures_total", "Relay attempts the broker refused")
CONSUMER_LAG = Gauge(
    "hotline_consumer_lag", "Records on the bus not yet processed", ["consumer", "topic"]
)
ASSIGNED_PARTITIONS = Gauge(
    "hotline_consumer_assigned_partitions",
    "Partitions the consumer group gave this instance (embedded bus: one per topic)",
    ["consumer"],
)
EVENTS_PROCESSED = Counter(
    "hotline_events_processed_total", "Events processed (duplicates included)", ["consumer", "type"]
)
EVENTS_DUPLICATE = Counter(
    "hotline_events_duplicate_total",
    "Redelivered events recognised by the inbox",
    ["consumer", "type"],
)
EVENTS_FAILED = Counter(
    "hotline_events_failed_total", "Failed attempts to process an event", ["consumer", "type"]
)
EVENTS_DEAD_LETTERED = Counter(
    "hotline_events_dead_lettered_total",
    "Events sent to a dead-letter topic",
    ["consumer", "topic"],
)

AUTH_FAILURES = Counter(
    "hotline_auth_failures_total",
    "Refused sign-ins: wrong_password, unknown_user, or throttled (refused unchecked)",
    ["reason"],
)
for _reason in ("wrong_password", "unknown_user", "throttled"):
    AUTH_FAILURES.labels(_reason)


def declare_consumer(consumer: str, topics: Iterable[str], types: Iterable[str]) -> None:
    """Creates a consumer's series at zero before its first event: a series that is born
    at 1 is invisible to rate() and increase(), so the first failure or dead letter would
    raise no alert."""
    for type_ in types:
        for counter in (EVENTS_PROCESSED, EVENTS_DUPLICATE, EVENTS_FAILED):
            counter.labels(consumer, type_)
    for topic in topics:
        EVENTS_DEAD_LETTERED.labels(consumer, topic)


_DECLARED: set[str] = set()


def declare_routes(app: FastAPI) -> None:
    """Creates each documented operation's success series at zero (e.g. POST /api/v1/calls
    201), so the first accepted call counts in rate() and panels read 0, not "no data".
    Once per service and process: its operations do not change between builds."""
    if app.title in _DECLARED:
        return
    _DECLARED.add(app.title)
    # The OpenAPI document is the public list of operations (the router nests them lazily);
    # built here without caching it on the app, so routes added later still show there.
    paths = get_openapi(title=app.title, version=app.version, routes=app.routes)["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            success = [code for code in operation.get("responses", {}) if code.startswith("2")]
            for status in success[:1]:
                HTTP_REQUESTS.labels(method.upper(), path, status)
