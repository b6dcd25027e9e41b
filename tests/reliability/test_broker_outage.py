"""With the Kafka broker gone, intake still takes calls: their events wait in its outbox.
When a broker is back (a new one, on the same address, empty: Tansu keeps no data across a
restart, so its topics are recreated), the outbox drains, every consumer resumes, and every
call is dispatched and searchable, once."""

from __future__ import annotations

from tests.reliability.support import (
    System,
    assert_each_dispatched_once,
    assigned_partitions,
    backlogs,
    known_consumers,
    metric,
    post_calls,
    readiness,
    restart_broker,
    tag,
    wait_backlogs_empty,
    wait_flowed,
)
from tests.support import peers
from tests.support.harness import SERVICES, eventually

CALLS = 40


def test_calls_taken_while_the_broker_is_down_are_dispatched_once_it_is_back(
    outage_system: System,
) -> None:
    cluster, broker = outage_system.cluster, outage_system.broker
    assert broker is not None
    word = tag()
    # Every consumer has joined its group and reported its lag: they are connected, and so
    # must notice the broker going away and find the new one by themselves. No call is
    # logged before the outage (see `outage_system`): all of them come during it.
    known_consumers(cluster)
    failures = metric(cluster, "intake", "hotline_outbox_relay_failures_total")

    broker.stop()
    try:
        calls = post_calls(cluster, word, CALLS // 2)  # every one answered 201
        # The relay meets the outage: its attempts are refused (or time out), and counted...
        eventually(
            lambda: metric(cluster, "intake", "hotline_outbox_relay_failures_total") > failures
        )
        # ... while intake goes on taking calls, their events waiting in its outbox.
        calls += post_calls(cluster, word, CALLS - CALLS // 2)
        waiting = metric(cluster, "intake", "hotline_outbox_backlog")
        assert waiting == CALLS, f"intake's outbox holds {waiting} unsent events, not {CALLS}"
        assert metric(cluster, "intake", "hotline_outbox_oldest_unsent_age_seconds") > 0
    finally:
        # A new, empty broker where the old one was (also when the test failed above).
        outage_system.broker = peers.start_tansu(broker.port)

    wait_flowed(cluster, calls, word)
    assert_each_dispatched_once(cluster, calls, word)
    wait_backlogs_empty(cluster)
    assert backlogs(cluster) == dict.fromkeys(SERVICES, 0)


def test_every_consumer_resumes_after_the_broker_restarts_with_its_topics_recreated(
    outage_system: System,
) -> None:
    """The broker comes back empty (memory storage: its topics are recreated, the groups'
    offsets are gone) while every consumer holds positions in the old log: each one must
    notice the new topics and read them from their beginning, dropping nothing."""
    cluster = outage_system.cluster
    word = tag()
    known_consumers(cluster)
    before = post_calls(cluster, word, CALLS // 2)
    wait_flowed(cluster, before, word)

    restart_broker(outage_system)
    after = post_calls(cluster, word, CALLS // 2)

    wait_flowed(cluster, before + after, word)
    assert_each_dispatched_once(cluster, before + after, word)
    wait_backlogs_empty(cluster)
    for service in SERVICES:
        eventually(lambda s=service: readiness(cluster, s) == (200, True), timeout=60)
    # Readiness allows a consumer a grace to rejoin; every one must hold partitions again
    # (a join the broker leaves hanging is started over after three session timeouts).
    assigned = eventually(
        lambda: (found := assigned_partitions(cluster)) and all(found.values()) and found,
        timeout=90,
    )
    assert {"intake", "dispatch", "feedback", "search"} <= set(assigned)
