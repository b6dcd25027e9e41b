"""Every event delivered twice changes nothing: each record of hotline.tickets and
hotline.assignments is published again, byte for byte, and every consumer recognises each
copy in its inbox: no second assignment, no new event, the same state in every service."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import pytest
from pydantic import ValidationError

from proto.assignments import ASSIGNMENTS
from proto.envelope import Envelope
from proto.registry import event_class
from proto.tickets import TICKETS
from services.common.bus import Record
from tests.reliability.support import (
    FLOW_TIMEOUT,
    ConsumerView,
    System,
    all_assignments,
    consumer_counters,
    intake_tickets,
    known_consumers,
    metric,
    post_calls,
    read_topics,
    republish,
    search_docs,
    tag,
    wait_backlogs_empty,
    wait_flowed,
    wait_settled,
)
from tests.support.harness import SERVICES, Cluster, eventually

# kafka-python loads its protocol schemas with importlib.resources calls Python deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:(read|open)_text is deprecated:DeprecationWarning")

BATCH = 20


def expected_outcomes(
    records: list[Record], consumers: Mapping[str, ConsumerView]
) -> Counter[tuple[str, str]]:
    """(consumer, kind) -> how much a second delivery of `records` must add to its counters,
    by the consumer's rules: a malformed envelope is dead-lettered, a type without a handler
    skipped, a malformed payload dead-lettered; any other event was processed on its first
    delivery, so its copy is a duplicate."""
    outcomes: Counter[tuple[str, str]] = Counter()
    for record in records:
        try:
            envelope: Envelope | None = Envelope.model_validate_json(record.value)
        except ValidationError:
            envelope = None
        for name, consumer in consumers.items():
            if record.topic not in consumer.topics:
                continue
            if envelope is None:
                outcomes[name, "dead_lettered"] += 1
            elif envelope.type in consumer.handles:
                try:
                    event_class(envelope.type, envelope.schema_version).model_validate(
                        envelope.payload
                    )
                except (ValueError, ValidationError):
                    outcomes[name, "dead_lettered"] += 1
                else:
                    outcomes[name, "duplicate"] += 1
    return outcomes


def digest(doc: dict[str, Any]) -> tuple[Any, ...]:
    """What a redelivery could change in a search document: its status and its timeline
    (read-time fields such as `overdue` are left out)."""
    return doc["status"], [(e["event_id"], e["type"]) for e in doc["timeline"]]


def state(cluster: Cluster, batch: list[str]) -> dict[str, Any]:
    """What the services show: every assignment in dispatch, every search document, intake's
    newest tickets, and what feedback tracks for the batch."""
    with cluster.client("feedback", "leader") as feedback:
        tracked = {t: feedback.get(f"/api/v1/tickets/{t}/assignments").json() for t in batch}
    return {
        "assignments": sorted(
            (
                (a["id"], a["ticket_id"], a["department_code"], a["status"], a["round"])
                for a in all_assignments(cluster)
            ),
        ),
        "documents": {t: digest(d) for t, d in search_docs(cluster).items()},
        "intake": {
            t: (v["status"], v["department_name"]) for t, v in intake_tickets(cluster).items()
        },
        "feedback": {t: sorted(a["assignment_id"] for a in found) for t, found in tracked.items()},
    }


def test_every_event_delivered_twice_changes_nothing(system: System) -> None:
    cluster, word = system.cluster, tag()
    batch = post_calls(cluster, word, BATCH)
    wait_flowed(cluster, batch, word)

    def has_batch(records: list[Record]) -> bool:
        keys = {(r.topic, r.key) for r in records}
        return all((TICKETS, t) in keys and (ASSIGNMENTS, t) in keys for t in batch)

    records = read_topics(system.bus(), [TICKETS, ASSIGNMENTS], has_batch)
    # Everything on the bus has been handled before the copies go out.
    wait_settled(cluster)
    consumers = known_consumers(cluster)
    before = state(cluster, batch)
    counters = consumer_counters(cluster)
    published = {s: metric(cluster, s, "hotline_outbox_published_total") for s in SERVICES}
    expected = expected_outcomes(records, consumers)
    wanted = {key: float(expected[key]) for key in {*counters, *expected}}
    for name in ("dispatch", "search", "feedback", "intake"):
        assert expected[name, "duplicate"] > 0, f"{name} would see no copy: {consumers}"

    republish(system.bus(), records)

    def redelivered() -> dict[tuple[str, str], float]:
        now = consumer_counters(cluster)
        return {key: now.get(key, 0.0) - counters.get(key, 0.0) for key in wanted}

    def caught_up() -> bool:
        """True once every copy was handled as expected; fails at once on anything else
        (a copy processed again, a failed attempt, an unexpected dead letter)."""
        got = redelivered()
        beyond = {k: (v, wanted[k]) for k, v in got.items() if v > wanted[k]}
        if beyond:
            pytest.fail(f"copies handled other than as duplicates, (got, expected): {beyond}")
        return got == wanted

    eventually(caught_up, FLOW_TIMEOUT, every=0.5)
    # Every copy was recognised by every consumer as the duplicate it is (each copy handled
    # moves exactly one counter, so none is left), none applied again, and no new event
    # came of them.
    wait_backlogs_empty(cluster)
    assert redelivered() == wanted
    published_after = {s: metric(cluster, s, "hotline_outbox_published_total") for s in SERVICES}
    assert published_after == published, "a redelivered event produced a new event"

    after = state(cluster, batch)
    assert after["assignments"] == before["assignments"]
    assert after["documents"] == before["documents"]
    assert after["intake"] == before["intake"]
    assert after["feedback"] == before["feedback"]
    for ticket_id in batch:
        assert after["intake"][ticket_id][0] == "dispatched"
        assert len(after["feedback"][ticket_id]) == 1
    assert {t: len(d[1]) for t, d in after["documents"].items()} == {
        t: len(d[1]) for t, d in before["documents"].items()
    }
