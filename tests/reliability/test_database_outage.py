"""A consumer whose database is briefly away must apply the events it read meanwhile once
the database is back: a database outage is not a bad event, so nothing may be lost to the
dead-letter topic because of it. And the service stays observable while it lasts."""

from __future__ import annotations

import subprocess

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.reliability.support import (
    System,
    assert_each_dispatched_once,
    consumer_counters,
    post_calls,
    tag,
    wait_flowed,
)
from tests.support import peers
from tests.support.harness import eventually

BEFORE, DURING = 5, 10


def _psql(postgres: peers.Peer, sql: str) -> None:
    command = ["psql", "-h", postgres.extra["socket"], "-p", str(postgres.port)]
    subprocess.run(
        [*command, "-U", "postgres", "-d", "postgres", "-qc", sql],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def test_events_read_while_the_dispatch_database_is_away_are_applied_once_it_is_back(
    system: System, request: pytest.FixtureRequest
) -> None:
    if system.profile != "production":
        pytest.skip("cutting one service off its database takes PostgreSQL")
    postgres: peers.Peer = request.getfixturevalue("postgres")
    cluster, word = system.cluster, tag()
    url = cluster.env["HOTLINE_DATABASE_URL"].replace("{service}", "dispatch")
    database = make_url(url).database
    before = post_calls(cluster, word, BEFORE)
    wait_flowed(cluster, before, word)
    counters = consumer_counters(cluster)

    def failed_attempts() -> float:
        response = httpx.get(f"{cluster.url('dispatch')}/metrics", timeout=10)
        assert response.status_code == 200, "dispatch's /metrics is down with its database"
        now = consumer_counters(cluster)
        return now.get(("dispatch", "failed"), 0) - counters.get(("dispatch", "failed"), 0)

    # Only dispatch loses its database: new connections are refused, open ones are cut.
    _psql(postgres, f"ALTER DATABASE {database} ALLOW_CONNECTIONS false")
    try:
        _psql(
            postgres,
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'",
        )
        during = post_calls(cluster, word, DURING)  # intake, with its own database, goes on
        # Dispatch reads the new tickets' events and fails to store their assignments, more
        # often than its attempts per event: without its database, every attempt fails.
        eventually(lambda: failed_attempts() > 3, timeout=60)
    finally:
        _psql(postgres, f"ALTER DATABASE {database} ALLOW_CONNECTIONS true")

    dead = consumer_counters(cluster).get(("dispatch", "dead_lettered"), 0) - counters.get(
        ("dispatch", "dead_lettered"), 0
    )
    assert dead == 0, f"dispatch dead-lettered {dead:.0f} valid events while its database was away"
    wait_flowed(cluster, before + during, word)
    assert_each_dispatched_once(cluster, before + during, word)
