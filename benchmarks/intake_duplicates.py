"""Intake under a realistic backlog: the duplicates lookup and logging a call, each timed
over HTTP against a real intake process, with 100,000 open tickets stored.

    python -m benchmarks.intake_duplicates                      # SQLite (embedded)
    python -m benchmarks.intake_duplicates --postgres           # a throwaway PostgreSQL

Tickets are spread over the 2,471 communities of Beijing's six central districts with a
skewed (Zipf-like) load, so a few communities are hot; their creation times are spread
over the last 45 days, so about two thirds fall in the 30-day duplicates window. Results
are printed and written as JSON; benchmarks/intake.md records them.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from sqlalchemy import func, insert, select

from proto.envelope import new_id
from services.common.db import make_engine
from services.common.settings import Settings
from services.intake.adapters.orm import calls, tickets
from services.intake.adapters.seed import load_addresses, load_categories
from services.intake.bootstrap import build
from tests.support import peers
from tests.support.harness import ROOT, free_base_port

app = typer.Typer(add_completion=False)
PROBLEMS = [
    "夜间施工噪音扰民",
    "垃圾桶满溢无人清运",
    "楼道堆放杂物",
    "路灯不亮",
    "小区停水",
    "井盖缺失有安全隐患",
    "违章搭建",
    "共享单车乱停放",
    "暖气不热",
    "占道经营",
    "餐馆油烟扰民",
    "电梯故障困人",
    "下水道堵塞反味",
    "树枝遮挡窗户",
    "物业不作为",
]
DETAILS = [
    "已持续一周",
    "多次反映未解决",
    "严重影响休息",
    "老人出行不便",
    "请尽快处理",
    "晚上十点以后尤其严重",
    "附近居民意见很大",
    "希望相关部门到现场查看",
]


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {
        "n": len(ordered),
        "p50_ms": round(pick(0.5) * 1000, 1),
        "p95_ms": round(pick(0.95) * 1000, 1),
        "p99_ms": round(pick(0.99) * 1000, 1),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 1),
    }


def _description(rng: random.Random, place: str) -> str:
    return f"{place}{rng.choice(PROBLEMS)}，{rng.choice(DETAILS)}，{rng.choice(DETAILS)}"


def _by_load(library: Any) -> list[Any]:
    """Communities, the most loaded first (the order the skewed weights follow)."""
    return sorted((a for a in library.areas.values() if a.level == 3), key=lambda a: a.code)


def _rows(count: int, rng: random.Random) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    library = load_addresses()
    communities = _by_load(library)
    weights = [1 / (i + 1) ** 0.8 for i in range(len(communities))]
    places = rng.choices(communities, weights, k=count)
    paths = {a.code: library.path(a.code) for a in communities}
    leaves = [c for c in load_categories() if c.is_leaf]
    now = datetime.now(UTC)
    for n, area in enumerate(places):
        leaf = rng.choice(leaves[:60]) if rng.random() < 0.7 else rng.choice(leaves)
        at = now - timedelta(seconds=rng.uniform(60, 45 * 86400))
        ticket_id = new_id()
        ticket = {
            "id": ticket_id,
            "number": f"B{n:010d}",
            "channel": "phone",
            "request_type": "complaint",
            "category_code": leaf.code,
            "category_path": ["-", "-", leaf.name],
            "area_code": area.code,
            "area_path": paths[area.code],
            "urgency": "general",
            "description": _description(rng, area.name),
            "caller_masked": "138****0000",
            "caller_key": None,
            "created_by": "agent2",
            "created_at": at,
            "status": "dispatched",
            "status_at": at,
            "calls": 1,
            "catalogue_version": 1,
        }
        call = {
            "id": new_id(),
            "ticket_id": ticket_id,
            "channel": "phone",
            "request_type": "complaint",
            "description": ticket["description"],
            "caller_masked": "138****0000",
            "taken_by": "agent2",
            "taken_at": at,
        }
        yield ticket, call


def _fill(url: str, count: int, seed: int) -> float:
    """Bulk-inserts `count` open tickets (and their calls); returns seconds taken."""
    started = time.perf_counter()
    engine = make_engine(url)
    rng = random.Random(seed)
    batch: list[tuple[dict[str, Any], dict[str, Any]]] = []
    with engine.begin() as conn:
        for pair in _rows(count, rng):
            batch.append(pair)
            if len(batch) == 5000:
                conn.execute(insert(tickets), [t for t, _ in batch])
                conn.execute(insert(calls), [c for _, c in batch])
                batch.clear()
        if batch:
            conn.execute(insert(tickets), [t for t, _ in batch])
            conn.execute(insert(calls), [c for _, c in batch])
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE tickets; ANALYZE calls")
        else:
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return time.perf_counter() - started


@contextmanager
def _intake(env: dict[str, str], data_dir: Path) -> Iterator[tuple[str, int]]:
    port = free_base_port()
    log = (data_dir / "intake.log").open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "serve", "intake"],
        env={
            **os.environ,
            **env,
            "HOTLINE_BASE_PORT": str(port),
            "PYTHONPATH": str(ROOT),
            "HOTLINE_LOG_LEVEL": "WARNING",
        },
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base, proc)
        yield base, proc.pid
    finally:
        proc.terminate()
        proc.wait(20)


def _wait(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("intake exited; see intake.log")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError("intake did not come up")


def _timed(n: int, request: Callable[[int], httpx.Response], expect: int) -> list[float]:
    samples = []
    for i in range(n):
        started = time.perf_counter()
        response = request(i)
        samples.append(time.perf_counter() - started)
        if response.status_code != expect:
            raise RuntimeError(f"{response.status_code}: {response.text[:300]}")
    return samples


def _cpu_seconds(pid: int) -> float:
    """User + system CPU the process has used (Linux /proc), to tell cost from queueing:
    on a machine shared with other work, wall time also counts waiting for a core."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _scenario(pid: int, n: int, request: Callable[[int], httpx.Response], expect: int) -> Any:
    before = _cpu_seconds(pid)
    wall = _percentiles(_timed(n, request, expect))
    cpu = (_cpu_seconds(pid) - before) / n
    return {**wall, "server_cpu_ms_per_request": round(cpu * 1000, 2)}


def _measure(base: str, pid: int, lookups: int, creates: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed + 1)
    library = load_addresses()
    communities = _by_load(library)
    hot = communities[:20]  # the most loaded ones under the skewed weights
    leaves = [c.code for c in load_categories() if c.is_leaf][:60]
    token = httpx.post(
        f"{base}/api/v1/auth/token", data={"username": "agent1", "password": "agent1pass"}
    ).json()["access_token"]
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:

        def lookup(places: list[Any]) -> Callable[[int], httpx.Response]:
            def one(_: int) -> httpx.Response:
                area = rng.choice(places)
                params = {
                    "area_code": area.code,
                    "category_code": rng.choice(leaves),
                    "text": _description(rng, area.name),
                }
                return client.get("/api/v1/duplicates", params=params)

            return one

        def create(_: int) -> httpx.Response:
            area = rng.choice(communities)
            body = {
                "request_type": "complaint",
                "category_code": rng.choice(leaves),
                "area_code": area.code,
                "description": _description(rng, area.name),
                "caller_phone": f"139{rng.randrange(10**8):08d}",
                "form_seconds": 40,
            }
            return client.post("/api/v1/calls", json=body)

        _timed(50, lookup(communities), 200)  # warm-up: caches, connections, JIT-free paths
        results = {
            "duplicates_any_community": _scenario(pid, lookups, lookup(communities), 200),
            "duplicates_hot_community": _scenario(pid, lookups, lookup(hot), 200),
            "create_call": _scenario(pid, creates, create, 201),
        }
    return results


def _hottest(url: str) -> dict[str, int]:
    """Open tickets in the duplicates window, overall and at the most loaded community."""
    engine = make_engine(url)
    since = datetime.now(UTC) - timedelta(days=30)
    window = select(func.count()).where(tickets.c.created_at >= since)
    busiest = (
        select(func.count())
        .where(tickets.c.created_at >= since)
        .group_by(tickets.c.area_code)
        .order_by(func.count().desc())
        .limit(1)
    )
    with engine.connect() as conn:
        found = {
            "in_30_day_window": int(conn.execute(window).scalar_one()),
            "hottest_community_in_window": int(conn.execute(busiest).scalar_one()),
        }
    engine.dispose()
    return found


@app.command()
def main(
    tickets_count: Annotated[int, typer.Option("--tickets")] = 100_000,
    lookups: int = 500,
    creates: int = 300,
    postgres: bool = False,
    seed: int = 7,
    out: Path = ROOT / "test-artifacts" / "intake-benchmark.json",
) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="intake-bench-"))
    env = {"HOTLINE_DATA_DIR": str(data_dir)}
    server = None
    if postgres:
        server = peers.start_postgres(databases=("intake_bench",))
        env["HOTLINE_DATABASE_URL"] = server.url.replace("{db}", "intake_bench")
    try:
        settings = Settings(data_dir=data_dir, database_url=env.get("HOTLINE_DATABASE_URL", ""))
        build(settings)  # migrates and seeds, as a first start would
        filled = _fill(settings.database_url_for("intake"), tickets_count, seed)
        shape = _hottest(settings.database_url_for("intake"))
        with _intake(env, data_dir) as (base, pid):
            results = _measure(base, pid, lookups, creates, seed)
    finally:
        if server:
            server.stop()
    report = {
        "database": "postgresql" if postgres else "sqlite",
        "open_tickets": tickets_count,
        "fill_seconds": round(filled, 1),
        "load_average": os.getloadavg(),
        "cpus": os.cpu_count(),
        **shape,
        "run_id": uuid.uuid4().hex[:8],
        **results,
    }
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    app()
