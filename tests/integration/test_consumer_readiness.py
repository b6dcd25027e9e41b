"""/readyz tells the truth about every consumer: a member its group gives no partitions
is unready once its grace is over, and ready again as soon as it holds some; the embedded
bus always counts as assigned."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from kafka import KafkaConsumer
from prometheus_client.parser import text_string_to_metric_families

from services.common.bus.kafka import KafkaBus
from services.common.settings import Settings
from services.search.bootstrap import TOPICS, build
from tests.support import peers
from tests.support.harness import eventually

GRACE = 5.0


def readiness(client: TestClient) -> tuple[int, bool]:
    response = client.get("/readyz")
    return response.status_code, response.json()["checks"]["consumer:search"]


def assigned(client: TestClient) -> float:
    families = text_string_to_metric_families(client.get("/metrics").text)
    return next(
        s.value
        for family in families
        for s in family.samples
        if s.name == "hotline_consumer_assigned_partitions" and s.labels["consumer"] == "search"
    )


def test_the_embedded_consumer_is_ready_and_holds_every_topic(tmp_path: Path) -> None:
    with TestClient(build(Settings(data_dir=tmp_path))) as client:
        eventually(lambda: assigned(client) == len(TOPICS))
        assert readiness(client) == (200, True)


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[tuple[Settings, threading.Event]]:
    """A broker whose topics have one partition each, and another member of the search
    service's group that takes them all: its client id sorts before the service's, and the
    range assignor hands a topic's only partition to the first member."""
    broker = peers.start_tansu()
    settings = Settings(
        data_dir=tmp_path,
        bus="kafka",
        kafka_bootstrap=broker.url,
        kafka_partitions=1,
        consumer_assignment_grace_seconds=GRACE,
    )
    KafkaBus(settings).ensure_topics(TOPICS)
    member = KafkaConsumer(
        bootstrap_servers=broker.url,
        group_id="search",
        client_id="0-holder",
        enable_auto_commit=False,
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
    )
    member.subscribe(list(TOPICS))
    leave = threading.Event()

    def hold() -> None:
        while not leave.is_set():
            member.poll(timeout_ms=200)
        member.close()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        yield settings, leave
    finally:
        leave.set()
        thread.join(30)
        broker.stop()


@pytest.mark.peers
def test_readiness_is_503_while_the_consumer_holds_no_partitions_past_its_grace(
    holder: tuple[Settings, threading.Event],
) -> None:
    settings, leave = holder
    with TestClient(build(settings)) as client:
        eventually(lambda: readiness(client) == (503, False), timeout=60)
        assert assigned(client) == 0
        leave.set()  # the other member leaves: its partitions come to the service
        eventually(lambda: readiness(client) == (200, True), timeout=60)
        assert assigned(client) == len(TOPICS)
