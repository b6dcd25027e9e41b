"""What the reliability tests share: a running platform with its bus, and checks that read the
real effect of a flow through the services' own APIs, metrics and topics."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from services.common.bus import Bus, Message, Record
from services.common.bus.factory import make_bus
from services.common.settings import Settings
from tests.support import peers
from tests.support.harness import SERVICES, Cluster, call_body, eventually

# Waits are bounded and generous: a 2-core machine running four services and three peers.
FLOW_TIMEOUT = 90.0
KINDS = ("processed", "duplicate", "failed", "dead_lettered")


@dataclass
class System:
    """A running platform, the settings that reach its bus, and its own broker if it has one."""

    profile: str
    cluster: Cluster
    bus_settings: Settings
    broker: peers.Peer | None = None

    def bus(self) -> Bus:
        return make_bus(self.bus_settings)


def tag() -> str:
    """A word no other test writes: put in descriptions, it selects one test's tickets."""
    return f"rk{uuid.uuid4().hex[:12]}"


def log_call(intake: httpx.Client, word: str, n: int) -> httpx.Response:
    return intake.post(
        "/api/v1/calls", json=call_body(description=f"夜间施工噪音扰民 {word} 第{n}次来电")
    )


def post_calls(cluster: Cluster, word: str, count: int) -> list[str]:
    """Logs `count` calls; every one must be accepted. Returns the ticket ids."""
    ids: list[str] = []
    with cluster.client("intake", "agent1") as intake:
        for n in range(count):
            response = log_call(intake, word, n)
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])
    return ids


# --- metrics -------------------------------------------------------------------------------


def metrics(cluster: Cluster, service: str) -> list[tuple[str, dict[str, str], float]]:
    text = httpx.get(f"{cluster.url(service)}/metrics", timeout=10).text
    return [
        (s.name, dict(s.labels), float(s.value))
        for family in text_string_to_metric_families(text)
        for s in family.samples
    ]


def metric(cluster: Cluster, service: str, name: str, **labels: str) -> float:
    """The sum of the samples called `name` whose labels include `labels` (0 when none)."""
    return sum(
        value
        for sample, found, value in metrics(cluster, service)
        if sample == name and all(found.get(k) == v for k, v in labels.items())
    )


_HANDLED = ("hotline_events_processed_total", "hotline_events_duplicate_total")


@dataclass(frozen=True)
class ConsumerView:
    """A consumer as its service's metrics describe it."""

    service: str
    topics: frozenset[str]  # subscribed: it reports a lag for each
    handles: frozenset[str]  # event types it has processed (or recognised as duplicates)


def consumer_views(cluster: Cluster) -> dict[str, ConsumerView]:
    """Every consumer of the platform by name, learned from what the services report rather
    than written down here, so the tests follow the services as their handlers grow."""
    topics: dict[str, set[str]] = {}
    handles: dict[str, set[str]] = {}
    service_of: dict[str, str] = {}
    for service in SERVICES:
        for name, labels, value in metrics(cluster, service):
            consumer = labels.get("consumer")
            if consumer is None:
                continue
            service_of[consumer] = service
            if name == "hotline_consumer_lag":
                topics.setdefault(consumer, set()).add(labels["topic"])
            elif name in _HANDLED and value > 0:
                handles.setdefault(consumer, set()).add(labels["type"])
    return {
        c: ConsumerView(s, frozenset(topics.get(c, ())), frozenset(handles.get(c, ())))
        for c, s in service_of.items()
    }


def known_consumers(cluster: Cluster) -> dict[str, ConsumerView]:
    """`consumer_views` once every service's consumers have reported their subscriptions
    (which they do after joining their group)."""

    def reported() -> dict[str, ConsumerView] | None:
        found = consumer_views(cluster)
        complete = {v.service for v in found.values()} == set(SERVICES)
        return found if complete and all(v.topics for v in found.values()) else None

    views: dict[str, ConsumerView] = eventually(reported)
    return views


def consumer_counters(cluster: Cluster) -> dict[tuple[str, str], float]:
    """(consumer, kind) -> how many events it processed, recognised as duplicates, failed
    to process (attempts) and dead-lettered, over all event types and topics."""
    counts: dict[tuple[str, str], float] = {}
    for service in SERVICES:
        for name, labels, value in metrics(cluster, service):
            kind = name.removeprefix("hotline_events_").removesuffix("_total")
            if name.startswith("hotline_events_") and kind in KINDS and "consumer" in labels:
                key = (labels["consumer"], kind)
                counts[key] = counts.get(key, 0.0) + value
    return counts


def assigned_partitions(cluster: Cluster) -> dict[str, float]:
    """Partitions each consumer holds, as its service reports them."""
    return {
        labels["consumer"]: value
        for service in SERVICES
        for name, labels, value in metrics(cluster, service)
        if name == "hotline_consumer_assigned_partitions"
    }


def readiness(cluster: Cluster, service: str) -> tuple[int, bool]:
    """The status of the service's /readyz and whether every consumer check passed."""
    response = httpx.get(f"{cluster.url(service)}/readyz", timeout=10)
    checks = response.json()["checks"]
    consumers = [ok for name, ok in checks.items() if name.startswith("consumer:")]
    return response.status_code, bool(consumers) and all(consumers)


def restart_broker(system: System) -> None:
    """Stops the platform's broker and starts an empty one on the same address."""
    assert system.broker is not None
    port = system.broker.port
    system.broker.stop()
    system.broker = None
    system.broker = peers.start_tansu(port)


def lags(cluster: Cluster) -> dict[tuple[str, str], float]:
    return {
        (labels["consumer"], labels["topic"]): value
        for service in SERVICES
        for name, labels, value in metrics(cluster, service)
        if name == "hotline_consumer_lag"
    }


def backlogs(cluster: Cluster) -> dict[str, float]:
    return {s: metric(cluster, s, "hotline_outbox_backlog") for s in SERVICES}


# --- what the services say -----------------------------------------------------------------


def search_total(cluster: Cluster, word: str, **filters: str) -> int:
    with cluster.client("search", "dispatcher") as search:
        response = search.get("/api/v1/search", params={"q": word, "limit": 1, **filters})
    response.raise_for_status()
    return int(response.json()["total"])


def search_docs(cluster: Cluster, word: str = "", **filters: str) -> dict[str, dict[str, Any]]:
    """Every document the search service finds for `word` and `filters`, by ticket id."""
    docs: dict[str, dict[str, Any]] = {}
    with cluster.client("search", "dispatcher") as search:
        offset = 0
        while True:
            response = search.get(
                "/api/v1/search",
                # Newest first: an order that indexing more documents cannot reshuffle.
                params={"q": word, "sort": "newest", "limit": 100, "offset": offset, **filters},
            )
            response.raise_for_status()
            hits = response.json()["hits"]
            for hit in hits:
                assert hit["ticket_id"] not in docs, f"ticket {hit['ticket_id']} found twice"
                docs[hit["ticket_id"]] = hit
            if len(hits) < 100:
                return docs
            offset += 100


def all_assignments(cluster: Cluster) -> list[dict[str, Any]]:
    """Every assignment dispatch holds (the tests make far fewer than the page of 500)."""
    with cluster.client("dispatch", "dispatcher") as dispatch:
        response = dispatch.get("/api/v1/assignments", params={"limit": 500})
    response.raise_for_status()
    found: list[dict[str, Any]] = response.json()
    assert len(found) < 500, "more assignments than one page: the check would miss some"
    return found


def assignments_of(cluster: Cluster, ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """Dispatch's assignments per ticket, asked ticket by ticket."""
    with cluster.client("dispatch", "dispatcher") as dispatch:
        found = {t: dispatch.get("/api/v1/assignments", params={"ticket_id": t}) for t in ids}
    return {t: response.raise_for_status().json() for t, response in found.items()}


def intake_tickets(cluster: Cluster) -> dict[str, dict[str, Any]]:
    """Intake's newest tickets (every agent's), by id: a test's own are the newest ones."""
    with cluster.client("intake", "agent1") as intake:
        response = intake.get("/api/v1/tickets", params={"mine": False, "limit": 200})
    response.raise_for_status()
    return {t["id"]: t for t in response.json()}


def _until_none_left(
    pending: set[str], done: Callable[[str], bool], what: str, timeout: float
) -> None:
    """Re-checks only what is still pending, until nothing is (or the time is up)."""

    def check() -> bool:
        for item in sorted(pending):
            if done(item):
                pending.discard(item)
        return not pending

    try:
        eventually(check, timeout=timeout, every=0.3)
    except AssertionError:
        left = sorted(pending)
        raise AssertionError(f"{len(left)} tickets never {what}: {left[:5]}") from None


def _all_of(wanted: set[str], found: Callable[[], set[str]], what: str) -> None:
    try:
        eventually(lambda: wanted <= found(), timeout=FLOW_TIMEOUT, every=0.5)
    except AssertionError:
        missing = sorted(wanted - found())
        raise AssertionError(
            f"{len(missing)} of {len(wanted)} tickets never {what}: {missing[:5]}"
        ) from None


def events_of(doc: dict[str, Any], type_: str) -> list[dict[str, Any]]:
    """The entries of a search document's timeline for events of `type_`."""
    return [e for e in doc["timeline"] if e["type"] == type_]


def _complete(doc: dict[str, Any]) -> bool:
    return bool(events_of(doc, "TicketCreated") and events_of(doc, "AssignmentDispatched"))


def wait_flowed(cluster: Cluster, ticket_ids: Sequence[str], word: str) -> None:
    """Waits until every ticket went all the way: searchable as dispatched with its creation
    and dispatch in its timeline, assigned in dispatch, shown as dispatched in intake
    (tracked by feedback is checked by `assert_each_dispatched_once`)."""
    wanted = set(ticket_ids)
    try:
        _all_of(
            wanted,
            lambda: {
                t
                for t, d in search_docs(cluster, word, status="dispatched").items()
                if _complete(d)
            },
            "dispatched in search",
        )
    except AssertionError as failure:
        state = f"partitions held {assigned_partitions(cluster)}; lags {lags(cluster)}"
        raise AssertionError(f"{failure}; {state}") from None
    _all_of(wanted, lambda: {a["ticket_id"] for a in all_assignments(cluster)}, "assigned")
    _all_of(
        wanted,
        lambda: {t for t, v in intake_tickets(cluster).items() if v["status"] == "dispatched"},
        "shown as dispatched in intake",
    )


def assert_each_dispatched_once(cluster: Cluster, ticket_ids: Sequence[str], word: str) -> None:
    """Exactly one assignment per ticket in dispatch, the same one in the ticket's search
    timeline (with one creation, one dispatch, no event twice) and tracked by feedback; and
    exactly these tickets in search under `word`, all dispatched."""
    wanted = set(ticket_ids)
    assert len(wanted) == len(ticket_ids)
    per_ticket: dict[str, list[str]] = {t: [] for t in wanted}
    for assignment in all_assignments(cluster):
        if assignment["ticket_id"] in wanted:
            per_ticket[assignment["ticket_id"]].append(assignment["id"])
    counts = Counter(len(found) for found in per_ticket.values())
    assert counts == {1: len(wanted)}, f"assignments per ticket: {dict(counts)}"

    assert search_total(cluster, word) == len(wanted)
    assert search_total(cluster, word, status="dispatched") == len(wanted)
    docs = search_docs(cluster, word)
    assert set(docs) == wanted
    for ticket_id, doc in docs.items():
        ids = [e["event_id"] for e in doc["timeline"]]
        assert len(ids) == len(set(ids)), f"an event twice in the timeline of {ticket_id}"
        assert len(events_of(doc, "TicketCreated")) == 1, doc["timeline"]
        dispatched = events_of(doc, "AssignmentDispatched")
        assert [e.get("assignment_id") for e in dispatched] == per_ticket[ticket_id]

    tracked: dict[str, list[str]] = {}

    def track(feedback: httpx.Client, ticket_id: str) -> bool:
        response = feedback.get(f"/api/v1/tickets/{ticket_id}/assignments")
        tracked[ticket_id] = [t["assignment_id"] for t in response.raise_for_status().json()]
        return bool(tracked[ticket_id])

    with cluster.client("feedback", "leader") as feedback:
        _until_none_left(set(wanted), partial(track, feedback), "tracked", FLOW_TIMEOUT)
    assert tracked == per_ticket


def wait_backlogs_empty(cluster: Cluster, timeout: float = FLOW_TIMEOUT) -> None:
    eventually(lambda: not any(backlogs(cluster).values()), timeout=timeout, every=0.5)


def wait_settled(cluster: Cluster, window: float = 6.0) -> None:
    """Waits until nothing moves: every outbox empty, every consumer without lag, and no
    consumer counter changing for `window` seconds (longer than the 5 s between two lag
    reports, so a lag of 0 seen at the end was measured after the last event handled)."""
    last: list[Any] = [None, 0.0]

    def still() -> bool:
        now = time.monotonic()
        seen = (consumer_counters(cluster), lags(cluster), backlogs(cluster))
        busy = any(seen[1].values()) or any(seen[2].values())
        if busy or seen != last[0]:
            last[:] = [seen, now]
            return False
        return now - last[1] >= window

    eventually(still, timeout=FLOW_TIMEOUT, every=0.5)


# --- the bus, read and written directly ----------------------------------------------------


def read_topics(
    bus: Bus, topics: Sequence[str], until: Callable[[list[Record]], bool], quiet: float = 1.5
) -> list[Record]:
    """Every record of `topics`, read by a fresh consumer group: polls until `until(records)`
    holds and then nothing more came for `quiet` seconds."""
    subscription = bus.subscribe(f"reliability-{uuid.uuid4().hex[:8]}", topics)
    records: list[Record] = []
    try:
        deadline = time.monotonic() + FLOW_TIMEOUT
        quiet_since: float | None = None
        while time.monotonic() < deadline:
            batch = subscription.poll(0.3)
            records += batch
            if batch or not until(records):
                quiet_since = None
                continue
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= quiet:
                return records
        raise AssertionError(f"reading {topics} did not finish; {len(records)} records read")
    finally:
        subscription.close()


def republish(bus: Bus, records: Sequence[Record]) -> None:
    """Publishes a copy of each record: same topic, key, value and headers, in the same order."""
    publisher = bus.publisher()
    try:
        for start in range(0, len(records), 200):
            publisher.publish(
                [
                    Message(r.topic, r.key, r.value, dict(r.headers))
                    for r in records[start : start + 200]
                ]
            )
    finally:
        publisher.close()
