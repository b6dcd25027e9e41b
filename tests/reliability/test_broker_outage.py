"""With the Kafka broker gone, intake still takes calls: their events wait in its outbox.
When a broker is back (a new one, on the same address, empty: Tansu keeps no data across a
restart), the outbox drains and every call is dispatched and searchable, once."""

from __future__ import annotations

from tests import peers
from tests.harness import SERVICES, eventually
from tests.reliability.support import (
    System,
    assert_each_dispatched_once,
    backlogs,
    known_consumers,
    metric,
    post_calls,
    tag,
    wait_backlogs_empty,
    wait_flowed,
)

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
