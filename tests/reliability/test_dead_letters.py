"""An event no consumer can read goes to the topic's dead-letter topic with the error, and
the consumers carry on with what comes after it, on the same partition and after."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from proto.envelope import Envelope
from proto.tickets import TICKETS, TicketCreated
from services.common.bus import Message, Record
from tests.reliability.support import (
    System,
    assignments_of,
    consumer_counters,
    events_of,
    known_consumers,
    post_calls,
    read_topics,
    search_docs,
    search_total,
    tag,
    wait_flowed,
)
from tests.support.harness import eventually

# kafka-python loads its protocol schemas with importlib.resources calls Python deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:(read|open)_text is deprecated:DeprecationWarning")


def _ticket_created(ticket_id: str, word: str) -> Envelope:
    event = TicketCreated(
        number=f"T{uuid.uuid4().hex[:10]}",
        channel="phone",
        request_type="complaint",
        category_code="010101",
        category_path=["城乡建设", "施工管理", "夜间施工"],
        area_code="110105001001",
        area_path=["朝阳区", "建外街道", "永安里社区"],
        urgency="general",
        description=f"夜间施工噪音扰民 {word} 直接投递",
        created_by="agent1",
        created_at=datetime.now(UTC),
    )
    return Envelope.wrap(event, producer="intake", ticket_id=ticket_id)


def _bad_messages(word: str) -> dict[str, tuple[Message, str]]:
    """ticket id (the key) -> (a message no consumer can read, the error expected for it).
    A malformed envelope is refused by every consumer of the topic; a malformed payload by
    those with a handler for its type (the others skip it)."""
    keys = [f"bad-{uuid.uuid4().hex[:12]}" for _ in range(3)]
    headers = {"type": TicketCreated.TYPE, "correlation_id": uuid.uuid4().hex}
    no_producer: dict[str, Any] = json.loads(_ticket_created(keys[1], word).model_dump_json())
    del no_producer["producer"]  # required by the envelope's contract
    invalid_payload: dict[str, Any] = json.loads(_ticket_created(keys[2], word).model_dump_json())
    invalid_payload["payload"] |= {"urgency": "whenever", "surprise": True}
    del invalid_payload["payload"]["number"]
    values = [
        (b"\xff\xfe this is not JSON {", "malformed envelope"),
        (json.dumps(no_producer).encode(), "malformed envelope"),
        (json.dumps(invalid_payload).encode(), "malformed payload"),
    ]
    return {
        key: (Message(TICKETS, key, value, headers), error)
        for key, (value, error) in zip(keys, values, strict=True)
    }


def test_unreadable_events_are_dead_lettered_and_the_consumers_carry_on(system: System) -> None:
    cluster, word = system.cluster, tag()
    bad = _bad_messages(word)
    before = consumer_counters(cluster)

    # Each bad message is followed, under the same key (so on the same partition), by a
    # well-formed TicketCreated for that key: the consumer must get past the bad one to it.
    follow_ups = {key: _ticket_created(key, word) for key in bad}
    publisher = system.bus().publisher()
    try:
        for key, (message, _) in bad.items():
            good = follow_ups[key].model_dump_json().encode()
            publisher.publish([message, Message(TICKETS, key, good, {"type": TicketCreated.TYPE})])
    finally:
        publisher.close()
    # And a call logged the ordinary way, after all of them.
    call = post_calls(cluster, word, 1)

    wait_flowed(cluster, call, word)
    eventually(lambda: all(found for found in assignments_of(cluster, bad).values()), 60)

    # Who must have refused what: every consumer of the topic a malformed envelope, those
    # that handle TicketCreated a malformed payload.
    consumers = known_consumers(cluster)
    readers = {c for c, v in consumers.items() if TICKETS in v.topics}
    handlers = {c for c in readers if TicketCreated.TYPE in consumers[c].handles}
    assert {"dispatch", "search"} <= handlers, consumers
    expected = sorted(
        (key, consumer)
        for key, (_, error) in bad.items()
        for consumer in (readers if error == "malformed envelope" else handlers)
    )

    def dead_letters_of_bad(records: list[Record]) -> bool:
        return {(r.key, r.headers.get("consumer")) for r in records} >= set(expected)

    dlq = [
        r
        for r in read_topics(system.bus(), [f"{TICKETS}.dlq"], dead_letters_of_bad)
        if r.key in bad
    ]
    # Each bad message once per consumer: the original bytes, its headers, and the error.
    assert sorted((r.key, r.headers["consumer"]) for r in dlq) == expected
    for record in dlq:
        message, error = bad[record.key]
        assert record.value == message.value
        assert record.headers["type"] == message.headers["type"]
        assert record.headers["original_topic"] == TICKETS
        assert record.headers["error"].startswith(error), record.headers["error"]

    per_consumer = Counter(consumer for _, consumer in expected)

    def dead_lettered() -> dict[str, float]:
        after = consumer_counters(cluster)
        return {
            c: after.get((c, "dead_lettered"), 0) - before.get((c, "dead_lettered"), 0)
            for c in consumers
        }

    eventually(lambda: dead_lettered() == {c: per_consumer[c] for c in consumers})

    # The bad events changed nothing; the well-formed ones behind them were applied, once.
    per_ticket = assignments_of(cluster, bad)
    assert all(len(found) == 1 for found in per_ticket.values()), per_ticket
    docs = search_docs(cluster, word)
    for key, envelope in follow_ups.items():
        created = events_of(docs[key], "TicketCreated")
        assert [e["event_id"] for e in created] == [envelope.event_id]
        dispatched = events_of(docs[key], "AssignmentDispatched")
        assert [e.get("assignment_id") for e in dispatched] == [per_ticket[key][0]["id"]]
    assert search_total(cluster, word) == len(bad) + 1
    assert search_total(cluster, word, status="dispatched") == len(bad) + 1


def test_events_behind_one_that_cannot_be_dead_lettered_yet_are_not_skipped(
    system: System,
) -> None:
    """A bad event arrives while the dead-letter topic refuses writes: the consumer cannot
    get rid of it, so it must neither lose the events read with it nor skip it; once the
    dead-letter topic takes writes again, the bad event lands there and the rest is applied."""
    if system.profile != "embedded":
        pytest.skip("the refusing dead-letter topic is a trigger in the embedded bus file")
    cluster, word = system.cluster, tag()
    consumers = known_consumers(cluster)
    readers = sorted(c for c, v in consumers.items() if TICKETS in v.topics)
    logs = {c: cluster.log_dir / f"{consumers[c].service}.log" for c in readers}

    def refusals(consumer: str) -> int:
        # The consumer's worker logs each failed step before it retries.
        return logs[consumer].read_text(errors="replace").count(f"{consumer} failed; retrying")

    refused_before = {c: refusals(c) for c in readers}

    def all_refused() -> bool:
        now = {c: refusals(c) for c in readers}
        assert all(now[c] > refused_before[c] for c in readers), (now, refused_before, logs)
        return True

    bus_file = sqlite3.connect(system.bus_settings.bus_path, isolation_level=None)
    try:
        bus_file.execute(
            f"CREATE TRIGGER refuse_dead_letters BEFORE INSERT ON records "
            f"WHEN NEW.topic = '{TICKETS}.dlq' BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
        try:
            bad_key = f"bad-{uuid.uuid4().hex[:12]}"
            good = [f"good-{uuid.uuid4().hex[:12]}" for _ in range(2)]
            envelopes = {key: _ticket_created(key, word) for key in good}
            publisher = system.bus().publisher()
            try:
                # In one append, so the consumers read them in one poll.
                publisher.publish(
                    [
                        Message(TICKETS, bad_key, b"not JSON", {"type": TicketCreated.TYPE}),
                        *(
                            Message(TICKETS, key, e.model_dump_json().encode())
                            for key, e in envelopes.items()
                        ),
                    ]
                )
            finally:
                publisher.close()
            # Every consumer of the topic has tried, and failed, to dead-letter the bad one.
            eventually(all_refused, 60)
        finally:
            bus_file.execute("DROP TRIGGER refuse_dead_letters")
    finally:
        bus_file.close()

    try:
        eventually(lambda: all(found for found in assignments_of(cluster, good).values()), 30)
    except AssertionError:
        raise AssertionError(
            "the events read together with the one that could not be dead-lettered were "
            f"never applied: {assignments_of(cluster, good)}"
        ) from None
    eventually(lambda: set(good) <= set(search_docs(cluster, word)))
    docs = search_docs(cluster, word)
    for key, envelope in envelopes.items():
        assert [e["event_id"] for e in events_of(docs[key], "TicketCreated")] == [envelope.event_id]

    def dead_letters(records: list[Record]) -> bool:
        return {r.headers.get("consumer") for r in records if r.key == bad_key} >= set(readers)

    dlq = read_topics(system.bus(), [f"{TICKETS}.dlq"], dead_letters)
    assert sorted(r.headers["consumer"] for r in dlq if r.key == bad_key) == readers
