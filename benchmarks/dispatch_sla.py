"""SLA scheduler and routing benchmark for dispatch.

    python -m benchmarks.dispatch_sla                      # SQLite file (embedded profile)
    python -m benchmarks.dispatch_sla --postgres           # a throwaway PostgreSQL 15 cluster

With `--clocks` open clocks stored (three per assignment, deadlines spread over a week), it
measures:
  1. how late warnings and breaches fire after their due time, for a steady wave (`--wave`
     clocks due over `--wave-seconds`) and for a burst (`--burst` clocks due at one instant),
     with the scheduler running as in the service (a worker thread, idle interval 0.25 s);
  2. the CPU an idle scheduler costs (nothing due) over `--idle-seconds`, as a share of a core;
  3. the time to route one ticket: the pure Router, and the whole TicketCreated use case
     (rule lookup, assignments, clocks and events in one transaction).
Results are printed as JSON; benchmarks/dispatch.md records a run.
"""

from __future__ import annotations

import json
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import typer
from sqlalchemy import insert, select

from services.common.db import make_engine, uow_factory
from services.common.migrations import upgrade
from services.common.workers import Worker
from services.dispatch.adapters.calendar_data import calendars
from services.dispatch.adapters.directory import Directory, seed_database
from services.dispatch.adapters.orm import assignments, clocks, metadata
from services.dispatch.adapters.seed import load_categories, load_departments, load_policies
from services.dispatch.adapters.unit_of_work import DispatchUnitOfWork
from services.dispatch.handlers import consumers
from services.dispatch.handlers.context import DispatchContext
from services.dispatch.handlers.scheduler import Scheduler
from tests.support import peers
from tests.support.dispatch import envelope, ticket_created

app = typer.Typer(add_completion=False)


@contextmanager
def database(postgres: bool) -> Iterator[str]:
    if not postgres:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'dispatch.db'}"
        return
    server = peers.start_postgres(databases=("bench",))
    try:
        yield server.url.format(db="bench")
    finally:
        server.stop()


def make_deps(url: str) -> DispatchContext:
    upgrade("dispatch", url)
    deps = DispatchContext(
        uow_factory(make_engine(url), metadata, "dispatch", DispatchUnitOfWork),
        Directory(),
        load_policies(),
        calendars(),
    )
    with deps.uow() as u:
        seed_database(u.session, deps.now())
        u.commit()
    return deps


def _assignment(i: int, now: datetime) -> dict[str, Any]:
    return {
        "id": f"a{i:07d}",
        "ticket_id": f"t{i:07d}",
        "department_code": "D-JXS",
        "department_name": "朝阳区建外街道办事处",
        "rule": "territory:street",
        "status": "dispatched",
        "dispatched_at": now,
    }


def _clock(i: int, name: str, now: datetime, fire: datetime, breach: bool) -> dict[str, Any]:
    """A running clock whose next firing is `fire`: its warning, or (breach) its deadline."""
    return {
        "assignment_id": f"a{i:07d}",
        "ticket_id": f"t{i:07d}",
        "department_code": "D-JXS",
        "clock": name,
        "working_days": True,
        "basis": "working",
        "state": "running",
        "started_at": now,
        "due_at": fire if breach else fire + timedelta(days=1),
        "warn_at": fire - timedelta(hours=1) if breach else fire,
        "warned_at": fire - timedelta(hours=1) if breach else None,
        "next_fire_at": fire,
    }


def store_clocks(
    deps: DispatchContext, total: int, due: list[datetime], now: datetime, first: int = 0
) -> int:
    """`total` open clocks numbered from `first`: those with an entry in `due` fire then
    (every other one a breach, the rest warnings), the others over the coming week."""
    rng = random.Random(7 + first)
    names = ("acknowledge", "contact", "resolve")
    rows_a, rows_c = [], []
    for n in range(first, first + total):
        i = n // 3
        if n % 3 == 0:
            rows_a.append(_assignment(i, now))
        k = n - first
        if k < len(due):
            fire, breach = due[k], k % 2 == 1
        else:
            fire, breach = now + timedelta(seconds=rng.uniform(3600, 7 * 86400)), False
        rows_c.append(_clock(i, names[n % 3], now, fire, breach))
    with deps.uow() as u:
        for start in range(0, len(rows_a), 5000):
            u.session.execute(insert(assignments), rows_a[start : start + 5000])
        for start in range(0, len(rows_c), 5000):
            u.session.execute(insert(clocks), rows_c[start : start + 5000])
        u.commit()
    return len(rows_c)


def lateness(deps: DispatchContext) -> list[tuple[datetime, float]]:
    """(due time, seconds late) for each warning or breach the scheduler fired."""
    c = clocks.c
    fired_breach = c.breached_at.is_not(None)
    fired_warning = c.warned_at.is_not(None) & (c.warned_at > c.warn_at)
    query = select(c.warn_at, c.warned_at, c.due_at, c.breached_at).where(
        fired_breach | fired_warning
    )
    late = []
    with deps.uow() as u:
        for warn_at, warned_at, due_at, breached_at in u.session.execute(query):
            due, at = (due_at, breached_at) if breached_at else (warn_at, warned_at)
            late.append((due, (at - due).total_seconds()))
    return late


def summary(late: list[float]) -> dict[str, Any]:
    return {
        "fired": len(late),
        "late_p50_s": round(percentile(late, 0.5), 3),
        "late_p99_s": round(percentile(late, 0.99), 3),
        "late_max_s": round(max(late), 3) if late else None,
    }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def run_scheduler(deps: DispatchContext, seconds: float) -> float:
    """Runs the scheduler worker as the service does; returns the process CPU seconds used."""
    worker = Worker("dispatch-scheduler", Scheduler(deps, gauge_every=15.0).tick, idle=0.25)
    cpu = time.process_time()
    worker.start()
    time.sleep(seconds)
    worker.stop()
    return time.process_time() - cpu


def route_timings(deps: DispatchContext, tickets: int) -> dict[str, float]:
    rng = random.Random(11)
    areas = [d.area for d in load_departments() if d.area and len(d.area) == 9]
    categories = [c for c in load_categories() if len(c) == 6]
    with deps.uow() as u:
        router = deps.directory.router(u.session)
    pure = time.perf_counter()
    for _ in range(10_000):
        router.route(rng.choice(categories), rng.choice(areas) + "001")
    pure_us = (time.perf_counter() - pure) / 10_000 * 1e6
    events = [
        ticket_created(category_code=rng.choice(categories), area_code=rng.choice(areas) + "001")
        for _ in range(tickets)
    ]
    spent = []
    for event in events:
        env = envelope(event)
        began = time.perf_counter()
        with deps.uow() as u:
            consumers.on_ticket_created(deps, u, env, event)
            u.commit()
        spent.append(time.perf_counter() - began)
    return {
        "router_route_us": round(pure_us, 2),
        "ticket_created_use_case_ms_p50": round(statistics.median(spent) * 1000, 2),
        "ticket_created_use_case_ms_p99": round(percentile(spent, 0.99) * 1000, 2),
    }


@app.command()
def main(
    postgres: bool = False,
    clocks_stored: int = typer.Option(100_000, "--clocks"),
    wave: int = 3000,
    wave_seconds: float = 30.0,
    burst: int = 2000,
    idle_seconds: float = 30.0,
    tickets: int = 300,
) -> None:
    with database(postgres) as url:
        deps = make_deps(url)
        began = time.perf_counter()
        # Far-off deadlines first; the wave and the burst are placed once those are stored,
        # so the scheduler starts before the first of them is due.
        stored = store_clocks(deps, clocks_stored - wave - burst, [], datetime.now(UTC))
        load_s = time.perf_counter() - began
        now = datetime.now(UTC)
        start = now + timedelta(seconds=10)
        burst_at = start + timedelta(seconds=wave_seconds + 5)
        due = [start + timedelta(seconds=wave_seconds * k / wave) for k in range(wave)]
        due += [burst_at] * burst
        first = stored + (-stored) % 3
        stored += store_clocks(deps, wave + burst, due, now, first=first)
        run_scheduler(deps, (burst_at - datetime.now(UTC)).total_seconds() + 10)
        late = lateness(deps)
        idle_cpu = run_scheduler(deps, idle_seconds)
        result = {
            "database": "postgresql" if postgres else "sqlite",
            "clocks_stored": stored,
            "store_seconds": round(load_s, 1),
            "wave": {"due": wave, "over_s": wave_seconds}
            | summary([s for d, s in late if d < burst_at]),
            "burst": {"due": burst} | summary([s for d, s in late if d == burst_at]),
            "idle_cpu_share_of_core": round(idle_cpu / idle_seconds, 4),
            **route_timings(deps, tickets),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    app()
