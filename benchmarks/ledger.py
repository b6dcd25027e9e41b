"""The ledger's three figures (benchmarks/ledger.md):

1. what chaining adds to search's consumer: the search service built as `hotline serve
   search` builds it (embedded profile), its consumers driven over the same synthetic
   ticket histories twice, once with the ledger switched off (`handlers.ledger.CHAINING`, a
   switch for this benchmark only) — the process's CPU time per event;
2. sealing a day of 70,000 tickets (about 8 entries each) — entries made by the ledger's
   own code in batches, then the seal timed;
3. exporting that day and verifying the export (entries per second; a month's export is 30
   such days, and the check's memory does not grow with the days).

    python -m benchmarks.ledger [--tickets 70000] [--consumer-tickets 1500]
    python -m benchmarks.ledger --skip-consumer --postgres   # the day on a throwaway PostgreSQL
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.orm import sessionmaker

from benchmarks import search_corpus
from services.common.db import make_engine
from services.common.migrations import upgrade
from services.common.settings import Settings
from services.search.adapters.ledger import SqlLedger, ledgers
from services.search.domain import ledger as domain
from services.search.handlers import ledger
from services.search.handlers.ledger import Scope, Sealer
from tests.support import peers

ENTRIES_PER_TICKET = 8
BATCH = 2000


def consumer_cpu(tickets: int, chaining: bool) -> dict[str, Any]:
    """CPU seconds of this process while search's consumers fold (and chain) the events."""
    from fastapi.testclient import TestClient

    from services.search.bootstrap import build
    from tests.support.harness import drain, driven

    ledger.CHAINING = chaining
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder))
        app = driven(build(settings))
        with TestClient(app):
            bus = app.state.platform.bus
            envelopes = list(search_corpus.history(tickets, search_corpus.fixed_now()))
            publisher = bus.publisher()
            publisher.publish(list(search_corpus.messages(iter(envelopes))))
            publisher.close()
            started, cpu = time.monotonic(), time.process_time()
            drain(app, timeout=3600)
            cpu = time.process_time() - cpu
            wall = time.monotonic() - started
    ledger.CHAINING = True
    events = len(envelopes)
    return {
        "chaining": chaining,
        "events": events,
        "cpu_s": round(cpu, 2),
        "wall_s": round(wall, 2),
        "cpu_ms_per_event": round(1000 * cpu / events, 3),
    }


def _event(ticket: str, n: int) -> dict[str, Any]:
    """An envelope of the usual size (a resolution with a sentence of Chinese)."""
    return {
        "event_id": uuid.uuid4().hex,
        "type": "AssignmentResolved",
        "schema_version": 1,
        "occurred_at": "2026-11-27T04:00:00.000000Z",
        "producer": "dispatch",
        "correlation_id": uuid.uuid4().hex,
        "ticket_id": ticket,
        "payload": {
            "assignment_id": f"as-{ticket}-{n}",
            "department_code": "D-JXS",
            "department_name": "朝阳区建外街道办事处",
            "outcome": "已联系物业清理楼道垃圾，并安排每日巡查，居民表示认可",
            "by": "staff01",
            "at": "2026-11-27T04:00:00+00:00",
            "dispatched_at": "2026-11-26T04:00:00+00:00",
            "within_sla": True,
            "photos": [],
        },
    }


def seal_and_verify(tickets: int, folder: Path, url: str = "") -> dict[str, Any]:
    url = url or f"sqlite:///{folder / 'search.db'}"
    upgrade("search", url)
    engine = make_engine(url)
    sessions = sessionmaker(engine)
    started, cpu = time.monotonic(), time.process_time()
    entries = 0
    # Interleaved as a day's events are: each batch touches many tickets.
    for first in range(0, tickets, BATCH // ENTRIES_PER_TICKET):
        ids = [f"tk-{n:07d}" for n in range(first, min(tickets, first + BATCH // 8))]
        with sessions() as session:
            chained = SqlLedger(session)
            for n in range(ENTRIES_PER_TICKET):
                for ticket in ids:
                    chained.stage(_event(ticket, n))
            entries += chained.flush()
            session.commit()
    fill = {"s": time.monotonic() - started, "cpu_s": time.process_time() - cpu}
    day = domain.day_of(datetime.now(UTC))

    started, cpu = time.monotonic(), time.process_time()
    seal = Sealer(ledgers(sessions)).seal(day)
    sealing = {"s": time.monotonic() - started, "cpu_s": time.process_time() - cpu}
    assert seal is not None and seal.entries == entries

    out = folder / "day.jsonl"
    started = time.monotonic()
    with out.open("w", encoding="utf-8") as stream:
        exported = ledger.export(ledgers(sessions), Scope(day=day), stream)
    export_s = time.monotonic() - started

    started, cpu = time.monotonic(), time.process_time()
    with out.open("rb") as stream:
        checked = ledger.verify_file(stream)
    verify = {"s": time.monotonic() - started, "cpu_s": time.process_time() - cpu}
    assert checked.ok and checked.entries == entries and checked.days == 1, checked.mismatch
    engine.dispose()
    return {
        "tickets": tickets,
        "entries": entries,
        "fill_s": round(fill["s"], 1),
        "fill_entries_per_cpu_s": round(entries / fill["cpu_s"]),
        "seal_s": round(sealing["s"], 2),
        "seal_cpu_s": round(sealing["cpu_s"], 2),
        "export_s": round(export_s, 1),
        "export_mb": round(out.stat().st_size / 1e6),
        "exported": exported,
        "verify_s": round(verify["s"], 2),
        "verify_entries_per_s": round(entries / verify["s"]),
        "verify_entries_per_cpu_s": round(entries / verify["cpu_s"]),
    }


def main(
    tickets: Annotated[int, typer.Option(help="Tickets of the sealed day")] = 70_000,
    consumer_tickets: Annotated[int, typer.Option(help="Tickets through the consumer")] = 1500,
    skip_consumer: bool = False,
    postgres: Annotated[
        bool, typer.Option(help="Seal and verify on a throwaway PostgreSQL")
    ] = False,
) -> None:
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average": os.getloadavg(),
        "cores": os.cpu_count(),
    }
    if not skip_consumer:
        off = consumer_cpu(consumer_tickets, chaining=False)
        on = consumer_cpu(consumer_tickets, chaining=True)
        added = on["cpu_ms_per_event"] - off["cpu_ms_per_event"]
        report["consumer"] = {"off": off, "on": on, "added_cpu_ms_per_event": round(added, 3)}
        report["consumer"]["added_percent"] = round(100 * added / off["cpu_ms_per_event"], 1)
    server = peers.start_postgres(databases=("ledger_bench",)) if postgres else None
    try:
        url = server.url.replace("{db}", "ledger_bench") if server else ""
        with tempfile.TemporaryDirectory() as folder:
            report["day"] = seal_and_verify(tickets, Path(folder), url)
        report["day"]["database"] = "postgresql" if server else "sqlite"
    finally:
        if server:
            server.stop()
    report["load_average_after"] = os.getloadavg()
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    typer.run(main)
