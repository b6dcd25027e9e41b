"""Indexing rate of `hotline rebuild-search`: events replayed per second into a fresh index,
on the embedded index and on Elasticsearch (osmem-server, the Elasticsearch-API server the
tests use), both reading the embedded bus and folding into the search service's SQLite
database, as the command does on one machine.

    python -m benchmarks.search_rebuild --tickets 20000

The bus is filled once with a synthetic history (about 7 events per ticket); each backend
is then rebuilt from it twice and the better run is kept. Besides the wall-clock rate, the
rate per CPU second of the rebuilding process is given: on a machine shared with other
work it says what the rebuild itself costs (Elasticsearch's own work is not in it). The
pure fold is timed alone too. Figures go to stdout and are written down in
benchmarks/search.md.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from benchmarks import search_corpus
from proto.registry import event_class
from services.common.bus.embedded import EmbeddedBus
from services.common.settings import Settings
from services.search.adapters.elastic import NODE_CLASS_ENV
from services.search.config import SearchSettings
from services.search.domain.projection import apply
from services.search.tools.rebuild import rebuild
from tests.support import peers

app = typer.Typer(add_completion=False)


def fill(data_dir: Path, tickets: int) -> int:
    publisher = EmbeddedBus(data_dir / "bus.db").publisher()
    batch, sent = [], 0
    for message in search_corpus.messages(
        search_corpus.history(tickets, search_corpus.fixed_now())
    ):
        batch.append(message)
        if len(batch) == 5000:
            publisher.publish(batch)
            sent += len(batch)
            batch = []
    publisher.publish(batch)
    publisher.close()
    return sent + len(batch)


def fold_only(tickets: int) -> dict[str, Any]:
    """The pure projection alone, without any storage: its CPU cost per event."""
    history = search_corpus.history(tickets, search_corpus.fixed_now())
    events = [(e, event_class(e.type, e.schema_version).model_validate(e.payload)) for e in history]
    docs: dict[str, Any] = {}
    now = datetime.now(UTC)
    started = time.process_time()
    for envelope, event in events:
        docs[envelope.ticket_id] = apply(docs.get(envelope.ticket_id), envelope, event, now)
    cpu = time.process_time() - started
    return {"events": len(events), "cpu_seconds": round(cpu, 2),
            "events_per_cpu_s": round(len(events) / cpu)}  # fmt: skip


def run(settings: Settings, runs: int, options: SearchSettings | None = None) -> dict[str, Any]:
    best = None
    for _ in range(runs):
        report = rebuild(settings, options=options or SearchSettings(search_backend="embedded"))
        if best is None or report.rate > best.rate:
            best = report
    assert best is not None
    return {
        "events": best.events,
        "tickets": best.tickets,
        "seconds": round(best.seconds, 1),
        "events_per_s": round(best.rate),
        "cpu_seconds": round(best.cpu_seconds, 1),
        "events_per_cpu_s": round(best.events / best.cpu_seconds) if best.cpu_seconds else None,
        "generation": best.generation,
    }


@app.command()
def main(
    tickets: Annotated[int, typer.Option(help="Synthetic tickets on the bus")] = 20_000,
    runs: Annotated[int, typer.Option(help="Rebuilds per backend; the best is kept")] = 2,
    skip_backends: Annotated[bool, typer.Option(help="Measure the pure fold only")] = False,
) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="hotline-rebuild-"))
    report: dict[str, Any] = {"tickets": tickets, "events_on_bus": fill(data_dir, tickets)}
    report["fold_only"] = fold_only(min(tickets, 2000))
    if skip_backends:
        print(json.dumps(report, indent=2))
        return
    report["embedded"] = run(Settings(data_dir=data_dir), runs)
    print(json.dumps(report, indent=2), flush=True)
    server = peers.start_osmem()
    os.environ[NODE_CLASS_ENV] = "tests.support.es_compat.CompatNode"
    try:
        options = SearchSettings(
            search_backend="elasticsearch",
            elasticsearch_url=server.url,
            elasticsearch_index=f"bench-{uuid.uuid4().hex[:8]}",
        )
        report["elasticsearch"] = run(Settings(data_dir=data_dir), runs, options)
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    app()
