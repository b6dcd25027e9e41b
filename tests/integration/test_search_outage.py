"""The search server going away is not a bad event: while it is unreachable the search
consumer keeps what it reads (retried, never dead-lettered), the service says it is not
ready, and once the server is back every ticket is indexed. The server is real
(osmem-server); the outage is a cut TCP link between it and the service."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from benchmarks import search_corpus
from proto.envelope import Envelope
from services.common.bus.embedded import EmbeddedBus
from services.common.settings import Settings
from services.search.bootstrap import build
from tests.support import peers
from tests.support.harness import PASSWORDS, eventually
from tests.support.tcp_link import TcpLink

TICKETS = 24


@pytest.fixture
def link(elasticsearch: peers.Peer) -> Iterator[TcpLink]:
    tcp = TcpLink(elasticsearch.port)
    yield tcp
    tcp.close()


@pytest.fixture
def settings(tmp_path: Path, link: TcpLink, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("HOTLINE_ELASTICSEARCH_NODE_CLASS", "tests.support.es_compat.CompatNode")
    # Search's own settings come from the environment, as in production.
    monkeypatch.setenv("HOTLINE_SEARCH_BACKEND", "elasticsearch")
    monkeypatch.setenv("HOTLINE_ELASTICSEARCH_URL", link.url)
    monkeypatch.setenv("HOTLINE_ELASTICSEARCH_INDEX", f"outage-{uuid.uuid4().hex[:10]}")
    return Settings(data_dir=tmp_path, consumer_max_attempts=2)


def _by_ticket(count: int) -> tuple[list[Envelope], list[Envelope]]:
    """The corpus' events split in two, each ticket's events on one side only."""
    envelopes = list(search_corpus.history(count, datetime.now(UTC), spike=0))
    tickets = sorted({e.ticket_id for e in envelopes})
    first = set(tickets[: len(tickets) // 2])
    return (
        [e for e in envelopes if e.ticket_id in first],
        [e for e in envelopes if e.ticket_id not in first],
    )


def _publish(settings: Settings, envelopes: list[Envelope]) -> None:
    publisher = EmbeddedBus(settings.bus_path).publisher()
    publisher.publish(list(search_corpus.messages(iter(envelopes))))
    publisher.close()


def _counter(name: str) -> float:
    return REGISTRY.get_sample_value(name, {"consumer": "search"}) or 0.0


def _sum(name: str) -> float:
    """A per-type counter of the search consumer, summed over the types."""
    return sum(
        s.value
        for metric in REGISTRY.collect()
        for s in metric.samples
        if s.name == name and s.labels.get("consumer") == "search"
    )


def _total(client: TestClient) -> int:
    response = client.get("/api/v1/search")
    return int(response.json()["total"]) if response.status_code == 200 else -1


def _login(client: TestClient) -> None:
    form = {"username": "dispatcher", "password": PASSWORDS["dispatcher"]}
    assert client.post("/api/v1/auth/token", data=form).status_code == 200


def test_events_read_while_the_search_server_is_away_are_indexed_once_it_is_back(
    settings: Settings, link: TcpLink
) -> None:
    before, during = _by_ticket(TICKETS)
    _publish(settings, before)
    with TestClient(build(settings)) as client:
        _login(client)
        eventually(lambda: _total(client) == TICKETS // 2, 60)
        failed = _sum("hotline_events_failed_total")
        dead = _sum("hotline_events_dead_lettered_total")

        link.cut()
        _publish(settings, during)
        # More failed attempts than one event's allowance: the consumer went round again.
        eventually(lambda: _sum("hotline_events_failed_total") - failed > 4, 60)
        assert client.get("/readyz").status_code == 503
        assert _total(client) == -1 or _total(client) == TICKETS // 2

        link.restore()
        eventually(lambda: _total(client) == TICKETS, 60)
        assert client.get("/readyz").status_code == 200
    assert _sum("hotline_events_dead_lettered_total") == dead


def test_the_service_starts_while_the_search_server_is_away(
    settings: Settings, link: TcpLink
) -> None:
    everything = [e for side in _by_ticket(TICKETS) for e in side]
    _publish(settings, everything)
    link.cut()
    dead = _sum("hotline_events_dead_lettered_total")
    with TestClient(build(settings)) as client:
        _login(client)
        assert client.get("/readyz").status_code == 503
        link.restore()
        eventually(lambda: _total(client) == TICKETS, 60)
    assert _sum("hotline_events_dead_lettered_total") == dead
