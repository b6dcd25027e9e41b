"""`hotline rebuild-search` replays the topics into a fresh index and swaps it in while the
running service keeps answering, on the embedded index and on Elasticsearch."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from benchmarks import search_corpus
from services.cli import app as cli
from services.common.bus.embedded import EmbeddedBus
from services.common.settings import Settings
from services.search.adapters.elastic import NODE_CLASS_ENV
from services.search.bootstrap import build
from services.search.rebuild import rebuild
from tests.harness import PASSWORDS, eventually
from tests.peers import Peer

NOW = datetime.now(UTC)


def publish(settings: Settings, first: int, count: int) -> set[str]:
    """Publishes `count` synthetic tickets numbered from `first`; returns their ids."""
    envelopes = list(search_corpus.history(count, NOW, seed=first, spike=0))
    renamed = [e.model_copy(update={"ticket_id": f"{e.ticket_id}-{first}"}) for e in envelopes]
    publisher = EmbeddedBus(settings.bus_path).publisher()
    publisher.publish(list(search_corpus.messages(iter(renamed))))
    publisher.close()
    return {e.ticket_id for e in renamed}


def total(client: TestClient) -> int:
    response = client.get("/api/v1/search", params={"facets": ""})
    assert response.status_code == 200, response.text
    found: int = response.json()["total"]
    return found


@pytest.fixture
def service(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[Settings, Any]]:
    options: dict[str, Any] = getattr(request, "param", {})
    settings = Settings(data_dir=tmp_path, **options)
    with TestClient(build(settings)) as client:
        client.post("/api/v1/auth/token",
                    data={"username": "leader", "password": PASSWORDS["leader"]})  # fmt: skip
        yield settings, client


def quick_rebuild(settings: Settings) -> Any:
    return rebuild(settings, poll_seconds=0.25)


def rebuild_while_searching(settings: Settings, client: TestClient, known: int) -> Any:
    """Runs a rebuild in a thread, searching all the while; every answer must count at
    least the tickets known before, and one more batch is published mid-way."""
    outcome: dict[str, Any] = {}
    thread = threading.Thread(
        target=lambda: outcome.update(report=rebuild(settings, poll_seconds=0.25))
    )
    thread.start()
    answers = []
    while thread.is_alive():
        answers.append(total(client))
    thread.join()
    assert answers and min(answers) >= known
    return outcome["report"]


def test_rebuild_swaps_in_a_fresh_embedded_generation(service: tuple[Settings, Any]) -> None:
    settings, client = service
    first = publish(settings, 1, 20)
    eventually(lambda: total(client) == len(first), 60)
    before = client.get("/api/v1/search", params={"q": "噪音", "limit": 100}).json()
    report = rebuild_while_searching(settings, client, len(first))
    assert report.generation == "search-index-g2.db"
    assert report.tickets == len(first) and report.events > len(first) * 3
    pointer = (settings.data_dir / "search-index.current").read_text().strip()
    assert pointer == "search-index-g2.db"
    after = client.get("/api/v1/search", params={"q": "噪音", "limit": 100}).json()
    assert {h["ticket_id"] for h in after["hits"]} == {h["ticket_id"] for h in before["hits"]}
    later = publish(settings, 2, 5)  # the live consumer now writes to the new generation
    eventually(lambda: total(client) == len(first | later), 60)


def test_events_published_during_a_rebuild_are_not_lost(service: tuple[Settings, Any]) -> None:
    settings, client = service
    first = publish(settings, 3, 20)
    eventually(lambda: total(client) == len(first), 60)
    outcome: dict[str, Any] = {}
    thread = threading.Thread(
        target=lambda: outcome.update(report=rebuild(settings, poll_seconds=0.25))
    )
    thread.start()
    during = publish(settings, 4, 5)
    thread.join()
    eventually(lambda: total(client) == len(first | during), 60)
    assert outcome["report"].generation == "search-index-g2.db"


def test_the_command_shows_progress_and_rate(service: tuple[Settings, Any]) -> None:
    settings, client = service
    publish(settings, 5, 10)
    eventually(lambda: total(client) == 10, 60)
    result = CliRunner().invoke(
        cli, ["rebuild-search"], env={"HOTLINE_DATA_DIR": str(settings.data_dir)}
    )
    assert result.exit_code == 0, result.output
    assert "events/s" in result.output and "Rebuilt 10 tickets" in result.output
    assert total(client) == 10


@pytest.mark.peers
def test_rebuild_swaps_the_elasticsearch_alias(
    tmp_path: Path, elasticsearch: Peer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(NODE_CLASS_ENV, "tests.es_compat.CompatNode")
    alias = f"hotline-rebuild-{uuid.uuid4().hex[:8]}"
    settings = Settings(
        data_dir=tmp_path,
        search_backend="elasticsearch",
        elasticsearch_url=elasticsearch.url,
        elasticsearch_index=alias,
    )
    with TestClient(build(settings)) as client:
        client.post("/api/v1/auth/token",
                    data={"username": "leader", "password": PASSWORDS["leader"]})  # fmt: skip
        first = publish(settings, 6, 25)
        eventually(lambda: total(client) == len(first), 60)
        report = rebuild_while_searching(settings, client, len(first))
        assert report.generation == f"{alias}-v2"
        assert total(client) == len(first)
        later = publish(settings, 7, 3)
        eventually(lambda: total(client) == len(first | later), 60)
    from tests import es_compat

    es = es_compat.test_client(elasticsearch.url)
    assert list(es.indices.get_alias(name=alias).body) == [f"{alias}-v2"]
    es.indices.delete(index=f"{alias}-v*")
    es.close()
