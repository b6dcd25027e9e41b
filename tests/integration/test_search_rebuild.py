"""`hotline rebuild-search` replays the topics into a fresh index and swaps it in while the
running service keeps answering, on the embedded index and on Elasticsearch."""

from __future__ import annotations

import re
import sqlite3
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
from services.common.bus.factory import make_bus
from services.common.settings import Settings
from services.search.adapters.elastic import NODE_CLASS_ENV
from services.search.bootstrap import build
from services.search.tools.rebuild import prune, rebuild
from tests.support import evidence, peers
from tests.support.harness import PASSWORDS, drain, eventually
from tests.support.peers import Peer

NOW = datetime.now(UTC)
re_done_of_total = re.compile(r"\b(\d+)/\1\b")


def publish(settings: Settings, first: int, count: int) -> set[str]:
    """Publishes `count` synthetic tickets numbered from `first`; returns their ids."""
    envelopes = list(search_corpus.history(count, NOW, seed=first, spike=0))
    renamed = [e.model_copy(update={"ticket_id": f"{e.ticket_id}-{first}"}) for e in envelopes]
    publisher = make_bus(settings).publisher()
    publisher.publish(list(search_corpus.messages(iter(renamed))))
    publisher.close()
    return {e.ticket_id for e in renamed}


EVIDENCE = "ev-rebuild-0001"


def publish_evidence(settings: Settings) -> set[str]:
    """One ticket sent by email by a frequent caller, with photos from citizen and field."""
    publisher = make_bus(settings).publisher()
    envelopes = evidence.with_photos(EVIDENCE, NOW, "email")
    publisher.publish(list(search_corpus.messages(iter(envelopes))))
    publisher.close()
    return {EVIDENCE}


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
    first = publish(settings, 1, 20) | publish_evidence(settings)
    drain(client.app)
    assert total(client) == len(first)
    before = client.get("/api/v1/search", params={"q": "噪音", "limit": 100}).json()
    cued = client.get(f"/api/v1/tickets/{EVIDENCE}").json()
    report = rebuild_while_searching(settings, client, len(first))
    assert report.generation == "search-index-g2.db"
    assert report.tickets == len(first) and report.events > len(first) * 3
    pointer = (settings.data_dir / "search-index.current").read_text().strip()
    assert pointer == "search-index-g2.db"
    after = client.get("/api/v1/search", params={"q": "噪音", "limit": 100}).json()
    assert {h["ticket_id"] for h in after["hits"]} == {h["ticket_id"] for h in before["hits"]}
    # The photos and the frequent-caller cue come back from the topics alone.
    rebuilt = client.get(f"/api/v1/tickets/{EVIDENCE}").json()
    assert rebuilt["frequent_caller"] is True and rebuilt["channel"] == "email"
    assert len(evidence.photos_on_timeline(rebuilt["timeline"])) == 3
    assert {k: v for k, v in rebuilt.items() if k != "searchable_at"} == {
        k: v for k, v in cued.items() if k != "searchable_at"
    }
    later = publish(settings, 2, 5)  # the live consumer now writes to the new generation
    drain(client.app)
    assert total(client) == len(first | later)


def test_events_published_during_a_rebuild_are_not_lost(service: tuple[Settings, Any]) -> None:
    settings, client = service
    first = publish(settings, 3, 20)
    drain(client.app)
    assert total(client) == len(first)
    outcome: dict[str, Any] = {}
    thread = threading.Thread(
        target=lambda: outcome.update(report=rebuild(settings, poll_seconds=0.25))
    )
    thread.start()
    during = publish(settings, 4, 5)
    thread.join()
    drain(client.app)
    assert total(client) == len(first | during)
    assert outcome["report"].generation == "search-index-g2.db"


def test_the_command_shows_progress_and_rate(service: tuple[Settings, Any]) -> None:
    settings, client = service
    publish(settings, 5, 10)
    drain(client.app)
    assert total(client) == 10
    result = CliRunner().invoke(
        cli, ["rebuild-search"], env={"HOTLINE_DATA_DIR": str(settings.data_dir)}
    )
    assert result.exit_code == 0, result.output
    assert "events/s" in result.output and "Rebuilt 10 tickets" in result.output
    # events done of total, and the time left
    assert re_done_of_total.search(result.output) and "left" in result.output
    assert total(client) == 10


def pointer(settings: Settings) -> str:
    return (settings.data_dir / "search-index.current").read_text().strip()


def run_cli(settings: Settings, *args: str, **env: str) -> Any:
    """Runs a `hotline` command; its output with rich's line wrapping undone."""
    env = {"HOTLINE_DATA_DIR": str(settings.data_dir), **env}
    result = CliRunner().invoke(cli, list(args), env=env)
    result.text = " ".join(result.output.split())
    return result


def test_a_rebuild_never_shrinks_the_index_unless_told_to(service: tuple[Settings, Any]) -> None:
    settings, client = service
    tickets = publish(settings, 8, 10)
    drain(client.app)
    assert total(client) == 10
    # The log loses four tickets' events (expired, or a broker that lost its topics).
    lost = sorted(tickets)[:4]
    with sqlite3.connect(settings.bus_path) as bus:
        bus.execute(f"DELETE FROM records WHERE key IN ({','.join('?' * 4)})", lost)

    refused = run_cli(settings, "rebuild-search")
    assert refused.exit_code == 1, refused.output
    assert "6 tickets" in refused.text and "--allow-shrink" in refused.text
    assert pointer(settings) == "search-index-g1.db"
    assert not (settings.data_dir / "search-index-g2.db").exists()
    assert total(client) == 10

    shrunk = run_cli(settings, "rebuild-search", "--allow-shrink")
    assert shrunk.exit_code == 0, shrunk.output
    assert pointer(settings) == "search-index-g2.db"
    eventually(lambda: total(client) == 6, 30)
    # The generation it replaced stays, until pruned.
    assert (settings.data_dir / "search-index-g1.db").exists()
    listed = run_cli(settings, "search-generations")
    assert listed.exit_code == 0 and "search-index-g1.db" in listed.text
    pruned = run_cli(settings, "search-generations", "--keep", "1")
    assert pruned.exit_code == 0, pruned.output
    assert "deleted search-index-g1.db" in pruned.text
    assert not (settings.data_dir / "search-index-g1.db").exists()
    assert total(client) == 6


@pytest.mark.peers
def test_a_rebuild_without_partitions_in_time_leaves_the_live_index_alone(
    tmp_path: Path,
) -> None:
    """On Kafka with the documented timings: a rebuild whose group gets no partitions within
    its grace fails with a non-zero exit and touches nothing; given the time, it reads every
    event (also past the short partition ends Tansu reports)."""
    broker = peers.start_tansu()
    settings = Settings(data_dir=tmp_path, bus="kafka", kafka_bootstrap=broker.url)
    try:
        with TestClient(build(settings)) as client:
            client.post("/api/v1/auth/token",
                        data={"username": "leader", "password": PASSWORDS["leader"]})  # fmt: skip
            tickets = publish(settings, 9, 10)
            eventually(lambda: total(client) == len(tickets), 60)
            kafka = {"HOTLINE_BUS": "kafka", "HOTLINE_KAFKA_BOOTSTRAP": broker.url}
            # A join takes about 3 s: half a second is too short to get the partitions.
            failed = run_cli(
                settings, "rebuild-search", HOTLINE_CONSUMER_ASSIGNMENT_GRACE_SECONDS="0.5", **kafka
            )
            assert failed.exit_code == 1, failed.output
            assert "got no partitions" in failed.text and "untouched" in failed.text
            assert pointer(settings) == "search-index-g1.db"
            assert not (tmp_path / "search-index-g2.db").exists()
            assert total(client) == len(tickets)

            done = run_cli(settings, "rebuild-search", **kafka)
            assert done.exit_code == 0, done.output
            assert f"Rebuilt {len(tickets)} tickets" in done.text
            assert pointer(settings) == "search-index-g2.db"
            assert total(client) == len(tickets)
    finally:
        broker.stop()


@pytest.mark.peers
def test_rebuild_swaps_the_elasticsearch_alias(
    tmp_path: Path, elasticsearch: Peer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(NODE_CLASS_ENV, "tests.support.es_compat.CompatNode")
    alias = f"hotline-rebuild-{uuid.uuid4().hex[:8]}"
    # Search's own settings come from the environment, as `hotline rebuild-search` reads them.
    monkeypatch.setenv("HOTLINE_SEARCH_BACKEND", "elasticsearch")
    monkeypatch.setenv("HOTLINE_ELASTICSEARCH_URL", elasticsearch.url)
    monkeypatch.setenv("HOTLINE_ELASTICSEARCH_INDEX", alias)
    settings = Settings(data_dir=tmp_path)
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
    from tests.support import es_compat

    es = es_compat.test_client(elasticsearch.url)
    assert list(es.indices.get_alias(name=alias).body) == [f"{alias}-v2"]
    # The generation it replaced stays until pruned.
    assert sorted(es.indices.get(index=f"{alias}-v*").body) == [f"{alias}-v1", f"{alias}-v2"]
    deleted, kept, live = prune(settings, keep=1)
    assert (deleted, kept, live) == ([f"{alias}-v1"], [f"{alias}-v2"], f"{alias}-v2")
    es.indices.delete(index=f"{alias}-v*")
    es.close()
