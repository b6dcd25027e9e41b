"""kill -9 of the dispatch process in the middle of a stream of calls loses nothing and
assigns nothing twice: what it had consumed but not committed is redelivered, the inbox
drops what it had already applied, and the outbox sends what it had not yet sent."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from tests.reliability.support import (
    System,
    assert_each_dispatched_once,
    consumer_counters,
    log_call,
    search_total,
    tag,
    wait_backlogs_empty,
    wait_flowed,
)
from tests.support.harness import Cluster

CALLS = 150
KILL_AFTER = 50


class CallStream(threading.Thread):
    """Logs CALLS calls one after the other, recording each answer."""

    def __init__(self, cluster: Cluster, word: str):
        super().__init__(name="call-stream", daemon=True)
        self.cluster = cluster
        self.word = word
        self.statuses: list[int] = []
        self.ticket_ids: list[str] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with self.cluster.client("intake", "agent1") as intake:
                for n in range(CALLS):
                    response = log_call(intake, self.word, n)
                    if response.status_code == 201:
                        self.ticket_ids.append(response.json()["id"])
                    self.statuses.append(response.status_code)
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.error = exc


def _wait_for(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)


def test_killing_dispatch_mid_stream_loses_no_call_and_assigns_none_twice(system: System) -> None:
    cluster, word = system.cluster, tag()
    stream = CallStream(cluster, word)
    stream.start()

    _wait_for(lambda: len(stream.statuses) >= KILL_AFTER or not stream.is_alive(), 60)
    assert stream.is_alive(), f"the stream ended before the kill: {stream.error!r}"
    cluster.kill("dispatch")
    killed_at = len(stream.statuses)
    time.sleep(1.0)  # dispatch stays dead for a second while calls keep coming
    cluster.start("dispatch")
    restarted_at = len(stream.statuses)

    stream.join(120)
    assert not stream.is_alive(), "the call stream did not finish"
    assert stream.error is None, repr(stream.error)
    # Intake does not depend on dispatch: every call was accepted, dead dispatch or not.
    assert stream.statuses == [201] * CALLS
    assert killed_at < CALLS and restarted_at > killed_at, (killed_at, restarted_at)

    wait_flowed(cluster, stream.ticket_ids, word)
    assert_each_dispatched_once(cluster, stream.ticket_ids, word)
    # The new dispatch process took over where the killed one had committed: at least every
    # call logged after the kill went through it (redeliveries it recognised count too).
    taken_over = sum(
        consumer_counters(cluster).get(("dispatch", kind), 0) for kind in ("processed", "duplicate")
    )
    assert taken_over >= CALLS - killed_at, (taken_over, killed_at)
    wait_backlogs_empty(cluster)
    # Nothing more turns up later (e.g. a redelivery creating a second document).
    assert search_total(cluster, word) == CALLS
