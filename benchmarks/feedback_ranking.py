"""Benchmark: the monthly ranking computed from stored ratings, in the database.

    python -m benchmarks.feedback_ranking    # 2,000,000 ratings a month, SQLite and PostgreSQL
    python -m benchmarks.feedback_ranking --ratings 200000 --backend sqlite

Fills feedback's real schema (migrated by Alembic, with its covering index) with
`--ratings` ratings across `--departments` departments in May 2026 and as many in April,
then times what `GET /api/v1/rankings/2026-05` does: two GROUP BYs (May and April), the
department names and the exact arithmetic of the three rates (handlers.ranking.month_ranking).
PostgreSQL is a throwaway local cluster (tests.peers) unless --postgres-url names one.
Figures are written down in benchmarks/feedback.md.
"""

from __future__ import annotations

import os
import platform as host
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from cryptography.fernet import Fernet
from rich.console import Console
from sqlalchemy import text
from sqlalchemy.engine import make_url

from services.common.db import make_engine, uow_factory
from services.common.migrations import upgrade
from services.common.sealed_links import LinkSeal
from services.feedback.adapters.links import LinkSigner
from services.feedback.adapters.orm import metadata
from services.feedback.adapters.unit_of_work import FeedbackUnitOfWork
from services.feedback.domain.months import Month
from services.feedback.domain.rates import Weights
from services.feedback.handlers.context import FeedbackContext
from services.feedback.handlers.ranking import MonthRanking, month_ranking

console = Console(stderr=True)
app = typer.Typer(add_completion=False, help=__doc__, pretty_exceptions_enable=False)

MAY = Month(2026, 5)
COLUMNS = (
    "rating_id", "invitation_id", "ticket_id", "round", "department_code", "via",
    "contacted", "contact_on_time", "solved", "satisfaction", "comment", "rated_at", "month",
)  # fmt: skip
SATISFACTIONS = ("satisfied", "basically_satisfied", "dissatisfied")


class Backend(StrEnum):
    sqlite = "sqlite"
    postgresql = "postgresql"
    both = "both"


def ratings(count: int, departments: int, month: Month, seed: int, start: int) -> Iterator[tuple]:
    """Deterministic ratings: departments of uneven size and uneven quality."""
    rng = random.Random(seed)
    sizes = [rng.paretovariate(1.5) for _ in range(departments)]
    quality = [0.55 + 0.4 * rng.random() for _ in range(departments)]
    first = datetime(month.year, month.month, 1, tzinfo=UTC) - timedelta(hours=8)
    for i in range(start, start + count):
        d = rng.choices(range(departments), sizes)[0] if i % 64 == 0 else _pick(rng, sizes)
        q = quality[d]
        solved = rng.random() < q
        mood = SATISFACTIONS[0 if rng.random() < q else (1 if rng.random() < 0.5 else 2)]
        yield (
            f"r{i:012d}", f"i{i:012d}", f"t{i:012d}", 1, f"D{d:03d}",
            "link" if rng.random() < 0.8 else "callback",
            rng.random() < 0.95, rng.random() < q + 0.05, solved, mood, "",
            first + timedelta(seconds=rng.randrange(27 * 86400)), str(month),
        )  # fmt: skip


_CUMULATIVE: dict[int, list[float]] = {}


def _pick(rng: random.Random, sizes: list[float]) -> int:
    # random.choices recomputes cumulative weights on every call; keep them once.
    key = id(sizes)
    if key not in _CUMULATIVE:
        total, acc = 0.0, []
        for s in sizes:
            total += s
            acc.append(total)
        _CUMULATIVE[key] = acc
    return rng.choices(range(len(sizes)), cum_weights=_CUMULATIVE[key])[0]


def load(url: str, count: int, departments: int) -> float:
    """Fills May and April; returns the seconds it took (bulk load, then ANALYZE)."""
    started = time.perf_counter()
    names = [(f"D{d:03d}", f"第{d:03d}号承办单位") for d in range(departments)]
    if make_url(url).get_backend_name() == "sqlite":
        _load_sqlite(url, names, count, departments)
    else:
        _load_postgres(url, names, count, departments)
    return time.perf_counter() - started


def _batches() -> Iterator[tuple[Month, int]]:
    yield MAY, 1
    yield MAY.previous(), 2


def _load_sqlite(url: str, names: list[tuple[str, str]], count: int, departments: int) -> None:
    db = sqlite3.connect(str(make_url(url).database))
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    db.executemany("INSERT INTO departments (code, name) VALUES (?, ?)", names)
    marks = ", ".join("?" for _ in COLUMNS)
    sql = f"INSERT INTO ratings ({', '.join(COLUMNS)}) VALUES ({marks})"
    for month, seed in _batches():
        rows = ratings(count, departments, month, seed, seed * count)
        db.executemany(sql, ((*r[:11], r[11].isoformat(sep=" "), r[12]) for r in rows))
        db.commit()
    db.execute("ANALYZE")
    db.commit()
    db.close()


def _load_postgres(url: str, names: list[tuple[str, str]], count: int, departments: int) -> None:
    import psycopg

    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain) as conn:
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO departments (code, name) VALUES (%s, %s)", names)
            for month, seed in _batches():
                with cur.copy(f"COPY ratings ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                    for row in ratings(count, departments, month, seed, seed * count):
                        copy.write_row(row)
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE ratings")  # the visibility map lets it read the index only


def feedback(url: str) -> FeedbackContext:
    engine = make_engine(url)
    return FeedbackContext(
        uow=uow_factory(engine, metadata, "feedback-benchmark", FeedbackUnitOfWork),
        signer=LinkSigner("benchmark-secret-not-used-for-anything", timedelta(days=7)),
        seal=LinkSeal(Fernet.generate_key().decode()),
        base_url="http://localhost",
        invitation_ttl=timedelta(days=7),
        reopen_limit=2,
        weights=Weights(),
        clock=lambda: datetime(2026, 5, 31, tzinfo=UTC),
    )


def measure(url: str, repeat: int) -> tuple[list[float], list[float], MonthRanking]:
    """Times the whole ranking, and the two GROUP BYs alone, `repeat` times each."""
    fb = feedback(url)
    times, queries, table = [], [], None
    for _ in range(repeat):
        started = time.perf_counter()
        table = month_ranking(fb, MAY)
        times.append(time.perf_counter() - started)
        started = time.perf_counter()
        with fb.uow() as uow:
            uow.ratings.tally(str(MAY))
            uow.ratings.tally(str(MAY.previous()))
        queries.append(time.perf_counter() - started)
    assert table is not None
    return times, queries, table


def _stored(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        count = int(conn.execute(text("SELECT count(*) FROM ratings")).scalar_one())
    engine.dispose()
    return count


def plan(url: str) -> str:
    engine = make_engine(url)
    sqlite = engine.dialect.name == "sqlite"
    query = (
        "SELECT department_code, count(*) FROM ratings WHERE month = '2026-05' "
        "AND department_code IS NOT NULL GROUP BY department_code"
    )
    with engine.connect() as conn:
        rows = conn.execute(text(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + query))
        lines = [str(r[-1] if sqlite else r[0]) for r in rows]
    engine.dispose()
    return " | ".join(line.strip() for line in lines)


def run(name: str, url: str, count: int, departments: int, repeat: int) -> dict[str, object]:
    upgrade("feedback", url)
    loaded = 0.0
    if _stored(url) == 0:
        console.print(f"[bold]{name}[/bold]: loading {2 * count:,} ratings …")
        loaded = load(url, count, departments)
    console.print(f"  {_stored(url):,} ratings stored; timing the ranking {repeat}× …")
    load_before = os.getloadavg()[0]
    times, queries, table = measure(url, repeat)
    rated = sum(r.tally.rated for r in table.rows)
    assert rated == count and len(table.rows) <= departments, (rated, len(table.rows))
    top = table.rows[0]
    return {
        "backend": name,
        "ratings in May": rated,
        "departments": len(table.rows),
        "load s": round(loaded, 1),
        "first s": round(times[0], 3),
        "median s": round(statistics.median(times), 3),
        "min s": round(min(times), 3),
        "max s": round(max(times), 3),
        "GROUP BYs median s": round(statistics.median(queries), 3),
        "top": f"{top.tally.department_code} {float(top.rates.score) * 100:.2f}",
        "load avg": f"{load_before:.1f}/{os.getloadavg()[0]:.1f}",
        "plan": plan(url),
    }


@app.command()
def main(
    ratings_: Annotated[int, typer.Option("--ratings", help="Ratings in the month")] = 2_000_000,
    departments: Annotated[int, typer.Option(help="Departments rated")] = 400,
    backend: Annotated[Backend, typer.Option()] = Backend.both,
    repeat: Annotated[int, typer.Option(help="Timed runs per backend")] = 5,
    postgres_url: Annotated[str, typer.Option(help="A database to fill, or filled before")] = "",
    workdir: Annotated[
        Path | None, typer.Option(help="Keep the SQLite file here and reuse it next time")
    ] = None,
) -> None:
    results = []
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hotline-bench-") as tmp:
        if backend in (Backend.sqlite, Backend.both):
            url = f"sqlite:///{(workdir or Path(tmp)) / 'feedback.db'}"
            results.append(run("SQLite 3", url, ratings_, departments, repeat))
        if backend in (Backend.postgresql, Backend.both):
            results.append(_on_postgres(postgres_url, ratings_, departments, repeat))
    cpu = f"{host.processor() or host.machine()}, {os.cpu_count()} cores"
    print(f"\n{ratings_:,} ratings/month × 2 months, {departments} departments; {cpu}\n")
    keys = [k for k in results[0] if k != "plan"]
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for r in results:
        print(
            "| "
            + " | ".join(f"{r[k]:,}" if isinstance(r[k], int) else str(r[k]) for k in keys)
            + " |"
        )
    for r in results:
        print(f"\n{r['backend']} plan: {r['plan']}")


def _on_postgres(url: str, count: int, departments: int, repeat: int) -> dict[str, object]:
    if url:
        return run("PostgreSQL", url, count, departments, repeat)
    from tests.support import peers

    server = peers.start_postgres(databases=("feedback_bench",))
    try:
        version = server.url.replace("{db}", "feedback_bench")
        return run("PostgreSQL 15", version, count, departments, repeat)
    finally:
        server.stop()


if __name__ == "__main__":
    app()
