"""Open311's public list under a realistic store: GET requests timed over HTTP against a
real intake process with 100,000 tickets.

    python -m benchmarks.open311_requests                   # SQLite (embedded profile)
    python -m benchmarks.open311_requests --postgres        # a throwaway PostgreSQL

Tickets are written in bulk through intake's ticket repository (the statement log_call
uses), spread over the last 120 days, about 60 % of them closed with a department's reply;
so the default query (the last 90 days, the newest 1,000) has some 75,000 candidates.
Results are printed and written as JSON; benchmarks/open311.md records them.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session

from benchmarks.intake_duplicates import _by_load, _description, _intake, _scenario, _timed
from proto.envelope import new_id
from services.common.db import make_engine
from services.common.settings import Settings
from services.intake.adapters import repository
from services.intake.adapters.orm import tickets
from services.intake.adapters.seed import load_addresses, load_categories
from services.intake.bootstrap import build
from services.intake.domain.model import Ticket
from tests.support import peers
from tests.support.harness import ROOT

app = typer.Typer(add_completion=False)
DAYS = 120
BATCH = 5000


def _tickets(count: int, rng: random.Random) -> Iterator[tuple[Ticket, dict[str, Any]]]:
    """Each ticket and what the consumers later wrote on it (closing, the reply)."""
    library = load_addresses()
    communities = _by_load(library)
    weights = [1 / (i + 1) ** 0.8 for i in range(len(communities))]
    leaves = [c for c in load_categories() if c.is_leaf]
    now = datetime.now(UTC)
    for n, area in enumerate(rng.choices(communities, weights, k=count)):
        leaf = rng.choice(leaves[:60]) if rng.random() < 0.7 else rng.choice(leaves)
        at = now - timedelta(seconds=rng.uniform(60, DAYS * 86400))
        ticket = Ticket(
            id=new_id(),
            number=f"B{n:010d}",
            channel=rng.choice(["phone", "phone", "phone", "web", "app"]),
            request_type="complaint",
            category_code=leaf.code,
            category_path=["-", "-", leaf.name],
            area_code=area.code,
            area_path=library.path(area.code),
            urgency="general",
            description=_description(rng, area.name),
            caller_masked="138****0000",
            caller_key=None,
            created_by="agent2",
            created_at=at,
            status="dispatched",
            department_name="朝阳区建外街道办事处",
            status_at=at,
        )
        later = {}
        if rng.random() < 0.6:
            done = at + timedelta(days=rng.uniform(1, 10))
            later = {"closed_at": done, "status": "closed", "status_at": done}
            later["status_notes"] = "已到现场处理，问题已解决，市民表示认可。"
        yield ticket, later


def _fill(url: str, count: int, seed: int) -> float:
    """Bulk-writes through the repository in batches; returns seconds taken."""
    started = time.perf_counter()
    engine = make_engine(url)
    rng = random.Random(seed)
    with Session(engine) as session:
        batch: list[tuple[Ticket, dict[str, Any]]] = []
        for pair in _tickets(count, rng):
            batch.append(pair)
            if len(batch) == BATCH:
                _write(session, batch)
                batch.clear()
        _write(session, batch)
        session.commit()
        analyse = "ANALYZE tickets" if engine.dialect.name == "postgresql" else "ANALYZE"
        session.connection().exec_driver_sql(analyse)
        session.commit()
    engine.dispose()
    return time.perf_counter() - started


def _write(session: Session, batch: list[tuple[Ticket, dict[str, Any]]]) -> None:
    if not batch:
        return
    fields = repository._TICKET_FIELDS
    session.execute(
        repository._INSERT_TICKET, [{f: getattr(t, f) for f in fields} for t, _ in batch]
    )
    closing = [{"b_id": t.id, **later} for t, later in batch if later]
    if closing:
        by_id = update(tickets).where(tickets.c.id == bindparam("b_id"))
        session.execute(by_id, closing)


def _measure(base: str, pid: int, n: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed + 1)
    leaves = [c.code for c in load_categories() if c.is_leaf][:60]
    numbers = [f"B{i:010d}" for i in range(0, 100_000, 7)]
    now = datetime.now(UTC)
    with httpx.Client(base_url=f"{base}/open311/v2", timeout=30) as client:

        def get(path: str, params: Callable[[], dict[str, str]]) -> Callable[[int], Any]:
            return lambda _: client.get(path, params=params())

        def month() -> dict[str, str]:
            end = now - timedelta(days=rng.uniform(0, 60))
            start = end - timedelta(days=30)
            return {"start_date": start.isoformat(), "end_date": end.isoformat(), "status": "open"}

        cases = {
            "requests_default_json": get("/requests.json", dict),
            "requests_default_xml": get("/requests.xml", dict),
            "requests_one_service": get(
                "/requests.json", lambda: {"service_code": rng.choice(leaves)}
            ),
            "requests_open_in_30_days": get("/requests.json", month),
            "requests_ten_ids": get(
                "/requests.json",
                lambda: {"service_request_id": ",".join(rng.sample(numbers, 10))},
            ),
            "request_by_id": lambda _: client.get(f"/requests/{rng.choice(numbers)}.json"),
        }
        _timed(20, cases["requests_default_json"], 200)  # warm-up
        sizes = {k: len(c(0).content) for k, c in cases.items()}
        results = {k: _scenario(pid, n, c, 200) for k, c in cases.items()}
    return {k: {**v, "answer_bytes": sizes[k]} for k, v in results.items()}


@app.command()
def main(
    tickets_count: Annotated[int, typer.Option("--tickets")] = 100_000,
    requests: int = 200,
    postgres: bool = False,
    seed: int = 11,
    out: Path = ROOT / "test-artifacts" / "open311-benchmark.json",
) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="open311-bench-"))
    # One client asks everything: its address must not meet the per-address limit.
    env = {"HOTLINE_DATA_DIR": str(data_dir), "HOTLINE_OPEN311_REQUESTS_PER_MINUTE": "1000000"}
    server = None
    if postgres:
        server = peers.start_postgres(databases=("open311_bench",))
        env["HOTLINE_DATABASE_URL"] = server.url.replace("{db}", "open311_bench")
    try:
        settings = Settings(data_dir=data_dir, database_url=env.get("HOTLINE_DATABASE_URL", ""))
        build(settings)  # migrates and seeds, as a first start would
        filled = _fill(settings.database_url_for("intake"), tickets_count, seed)
        with _intake(env, data_dir) as (base, pid):
            results = _measure(base, pid, requests, seed)
    finally:
        if server:
            server.stop()
    report = {
        "database": "postgresql" if postgres else "sqlite",
        "tickets": tickets_count,
        "fill_seconds": round(filled, 1),
        "load_average": os.getloadavg(),
        "cpus": os.cpu_count(),
        "run_id": uuid.uuid4().hex[:8],
        **results,
    }
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    app()
