"""Platforms for the reliability tests: every service a real process, on the embedded profile
(SQLite files + the embedded bus) and on the production profile (PostgreSQL + a Kafka-protocol
broker + an Elasticsearch-API server).

Each production platform gets a broker of its own: the topic and group names are fixed, so a
shared broker would mix this platform's events with another's, and some tests stop it.
PostgreSQL and the search server are shared (fresh databases and index per platform).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.common.settings import Settings
from tests.reliability.support import System
from tests.support import peers
from tests.support.harness import Cluster, embedded_env, full_env

_DEFAULT_PARTITIONS = Settings.model_fields["kafka_partitions"].default
# Service logs reach their files as they are written, so a test can watch them. This platform
# takes hundreds of calls at one place: a hot-spot alarm would be a genuine new event in the
# middle of a count of redelivered ones, so none is raised here (tests/integration has the
# alarms' own tests).
LIVE_LOGS = {"PYTHONUNBUFFERED": "1", "HOTLINE_HOTSPOT_ALARM_MIN_COUNT": "1000000"}


def _production(
    request: pytest.FixtureRequest, data_dir: Path, broker: peers.Peer, **extra: str
) -> tuple[Cluster, Settings]:
    env = full_env(
        data_dir,
        request.getfixturevalue("postgres"),
        broker,
        request.getfixturevalue("elasticsearch"),
    )
    env |= LIVE_LOGS | extra
    settings = Settings(
        bus="kafka",
        kafka_bootstrap=broker.url,
        kafka_partitions=int(env.get("HOTLINE_KAFKA_PARTITIONS", _DEFAULT_PARTITIONS)),
    )
    return Cluster(env, data_dir), settings


@pytest.fixture(scope="package", params=["embedded", "production"])
def system(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[System]:
    """One platform per profile, shared by the tests of this folder (each test tells its own
    tickets apart by a word in their descriptions)."""
    data_dir = tmp_path_factory.mktemp(f"reliability-{request.param}")
    broker: peers.Peer | None = None
    if request.param == "embedded":
        cluster = Cluster(embedded_env(data_dir) | LIVE_LOGS, data_dir)
        settings = Settings(data_dir=data_dir)
    else:
        broker = peers.start_tansu()
        cluster, settings = _production(request, data_dir, broker)
    try:
        cluster.start()
        yield System(request.param, cluster, settings, broker)
    finally:
        cluster.stop()
        if broker is not None:
            broker.stop()


@pytest.fixture
def outage_system(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[System]:
    """A fresh production platform for a test that stops its broker and starts another on
    the same port (memory storage: the new broker has lost every topic and offset, so the
    services recreate the topics and every consumer must notice and read them anew)."""
    data_dir = tmp_path_factory.mktemp("reliability-outage")
    broker = peers.start_tansu()
    cluster, settings = _production(request, data_dir, broker)
    outage = System("production", cluster, settings, broker)
    try:
        cluster.start()
        yield outage
    finally:
        cluster.stop()
        if outage.broker is not None:  # the test may have replaced the broker
            outage.broker.stop()
