"""Load benchmark for logging calls: POST /api/v1/calls against the platform it starts itself.

    python -m benchmarks.calls --profile embedded --calls 2000 --concurrency 16
    python -m benchmarks.calls --profile production --rate 200 --duration 60 --concurrency 64

It starts the four services as real processes (tests.harness.Cluster) on the chosen profile
(production: PostgreSQL + Kafka protocol (Tansu) + Elasticsearch API (osmem) as well), signs in
as agent1, sends calls with an async httpx client, then waits until every accepted ticket is
dispatched and searchable and reads back when that happened. See benchmarks/README.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform as host
import random
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
import tomllib
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import aiohttp
import httpx
import typer
from rich.console import Console
from rich.table import Table

from tests import peers
from tests.harness import ROOT, SERVICES, Cluster, embedded_env, full_env

console = Console(stderr=True)
app = typer.Typer(add_completion=False, help=__doc__, pretty_exceptions_enable=False)

SEED_DIR = ROOT / "services" / "intake" / "seed"
# Used when the intake seed files cannot be read; valid in the catalogue of commit 8fff4bd.
FALLBACK_CATEGORIES = (("010101", "噪音扰民"), ("010102", "垃圾清运"), ("020101", "停水"))
FALLBACK_AREAS = ("110101001001", "110105001001", "110108001001")


def _leaves(file: str, key: str) -> list[tuple[str, str]]:
    """(code, name) of the leaves of a seed tree (codes that are no entry's parent)."""
    try:
        entries = tomllib.loads((SEED_DIR / file).read_text(encoding="utf-8"))[key]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return []
    parents = {e.get("parent") for e in entries}
    return [(e["code"], e.get("name", "")) for e in entries if e["code"] not in parents]


def _spread(items: list[tuple[str, str]], count: int) -> list[tuple[str, str]]:
    """Up to `count` items spread evenly over the list (deterministic)."""
    step = max(1, len(items) // count)
    return items[::step][:count]


CATEGORIES = _spread(_leaves("catalogue.toml", "categories"), 12) or list(FALLBACK_CATEGORIES)
AREAS = [c for c, _ in _spread(_leaves("addresses.toml", "areas"), 12)] or list(FALLBACK_AREAS)


class Profile(StrEnum):
    embedded = "embedded"
    production = "production"


# --------------------------------------------------------------------------- small helpers


def percentiles(values: list[float]) -> dict[str, float | None]:
    """p50/p95/p99 (linear interpolation between closest ranks), plus mean and max."""
    if not values:
        return {"p50": None, "p95": None, "p99": None, "mean": None, "max": None, "n": 0}
    ordered = sorted(values)

    def q(p: float) -> float:
        k = (len(ordered) - 1) * p
        lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
        return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)

    return {
        "p50": q(0.50),
        "p95": q(0.95),
        "p99": q(0.99),
        "mean": statistics.fmean(ordered),
        "max": ordered[-1],
        "n": len(ordered),
    }


def parse_time(value: str) -> datetime:
    """An ISO timestamp from a service; a naive one is UTC (every service stores UTC)."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def slope(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope (units per second) of (t, value) points."""
    if len(points) < 3:
        return None
    ts = [t for t, _ in points]
    vs = [v for _, v in points]
    mt, mv = statistics.fmean(ts), statistics.fmean(vs)
    den = sum((t - mt) ** 2 for t in ts)
    if den == 0:
        return None
    return sum((t - mt) * (v - mv) for t, v in points) / den


# --------------------------------------------------------------------------- CPU accounting

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _proc_table() -> dict[int, tuple[int, float, str]]:
    """pid -> (ppid, cpu seconds user+system, comm) for every live process."""
    table: dict[int, tuple[int, float, str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        rest = raw[raw.rindex(")") + 2 :].split()
        # rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
        table[int(entry)] = (int(rest[1]), (int(rest[11]) + int(rest[12])) / CLK_TCK, comm)
    return table


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    total = sum(fields[:8])  # up to steal; guest time is already counted in user
    return total - idle, total


@dataclass
class CpuSnapshot:
    at: float
    components: dict[str, float]
    busy: float
    total: float


class CpuMeter:
    """CPU seconds per component: each service process, each peer (with its children, e.g.
    PostgreSQL backends) and the benchmark client itself; the rest of the machine is 'other'."""

    def __init__(self, roots: dict[str, int]):
        self.roots = roots

    def snapshot(self) -> CpuSnapshot:
        table = _proc_table()
        children: dict[int, list[int]] = {}
        for pid, (ppid, _, _) in table.items():
            children.setdefault(ppid, []).append(pid)
        used: dict[str, float] = {}
        for name, root in self.roots.items():
            if root == os.getpid():
                used[name] = table.get(root, (0, 0.0, ""))[1]  # ourselves, not the services
                continue
            total, stack = 0.0, [root]
            while stack:
                pid = stack.pop()
                if pid in table:
                    total += table[pid][1]
                    stack.extend(children.get(pid, []))
            used[name] = total
        busy, all_ = _machine_busy()
        return CpuSnapshot(time.monotonic(), used, busy, all_)

    @staticmethod
    def between(a: CpuSnapshot, b: CpuSnapshot) -> dict[str, float]:
        """Cores used on average per component between two snapshots, plus machine and other."""
        wall = max(b.at - a.at, 1e-9)
        cores = {k: (b.components[k] - a.components.get(k, 0.0)) / wall for k in b.components}
        ncpu = os.cpu_count() or 1
        machine = (b.busy - a.busy) / max(b.total - a.total, 1) * ncpu
        cores["machine"] = machine
        cores["other (not this benchmark)"] = max(
            0.0, machine - sum(cores[k] for k in b.components)
        )
        return cores


# --------------------------------------------------------------------------- the platform


@dataclass
class Running:
    cluster: Cluster
    cpu: CpuMeter


@contextmanager
def platform(profile: Profile, keep: bool) -> Iterator[Running]:
    work = Path(tempfile.mkdtemp(prefix=f"hotline-bench-{profile.value}-"))
    (work / "data").mkdir()
    (work / "logs").mkdir()
    started: list[peers.Peer] = []
    cluster: Cluster | None = None
    failed = True
    try:
        roots: dict[str, int] = {"benchmark client": os.getpid()}
        if profile is Profile.production:
            pg = peers.start_postgres(databases=())
            started.append(pg)
            kafka = peers.start_tansu()
            started.append(kafka)
            es = peers.start_osmem()
            started.append(es)
            env = full_env(work / "data", pg, kafka, es)
            postmaster = Path(pg.extra["socket"]).parent / "data" / "postmaster.pid"
            roots["postgresql"] = int(postmaster.read_text().split()[0])
            for pid, (ppid, _, _) in _proc_table().items():
                if ppid != os.getpid():
                    continue
                cmd = _cmdline(pid)
                if "tansu" in cmd and f":{kafka.port}" in cmd:
                    roots["tansu (kafka)"] = pid
                if "osmem-server" in cmd and f":{es.port}" in cmd:
                    roots["osmem (elasticsearch)"] = pid
        else:
            env = embedded_env(work / "data")
        cluster = Cluster(env, work / "logs")
        cluster.start()
        for service in SERVICES:
            roots[service] = cluster.procs[service].pid
        console.print(f"[dim]platform up ({profile.value}); logs in {work / 'logs'}[/dim]")
        yield Running(cluster, CpuMeter(roots))
        failed = False
    finally:
        if cluster is not None:
            cluster.stop()
        for peer in reversed(started):
            peer.stop()
        if keep or failed:
            console.print(f"[dim]kept {work}[/dim]")
        else:
            shutil.rmtree(work, ignore_errors=True)


# --------------------------------------------------------------------------- sending calls


@dataclass
class Sent:
    scheduled: float | None  # open loop: when the call was due (monotonic)
    started: float
    finished: float
    status: int
    ticket_id: str | None = None
    created_at: str | None = None
    error: str | None = None


def call_body(rng: random.Random, i: int) -> dict[str, Any]:
    code, name = rng.choice(CATEGORIES)
    return {
        "channel": rng.choice(("phone", "phone", "phone", "web", "app")),
        "request_type": rng.choice(("complaint", "complaint", "help", "consultation", "report")),
        "category_code": code,
        "area_code": rng.choice(AREAS),
        "urgency": "urgent" if rng.random() < 0.1 else "general",
        "description": f"市民来电反映{name}问题，希望尽快处理（压测 {i}）",
        "caller_phone": f"138{rng.randrange(10**8):08d}",
    }


async def post_call(
    client: aiohttp.ClientSession, body: dict[str, Any], scheduled: float | None
) -> Sent:
    started = time.monotonic()
    try:
        async with client.post("/api/v1/calls", json=body) as response:
            status, text = response.status, await response.text()
    except (aiohttp.ClientError, TimeoutError) as exc:
        return Sent(scheduled, started, time.monotonic(), 0, error=f"{type(exc).__name__}: {exc}")
    finished = time.monotonic()
    if status != 201:
        return Sent(scheduled, started, finished, status, error=text[:300])
    ticket = json.loads(text)
    return Sent(scheduled, started, finished, 201, ticket["id"], ticket["created_at"])


async def closed_loop(client: aiohttp.ClientSession, calls: int, concurrency: int) -> list[Sent]:
    """`concurrency` workers, each sending its next call as soon as the last one answered."""
    rng = random.Random(1)
    bodies = iter(enumerate(call_body(rng, i) for i in range(calls)))
    results: list[Sent] = []

    async def worker() -> None:
        for _, body in bodies:
            results.append(await post_call(client, body, None))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return results


async def open_loop(
    client: aiohttp.ClientSession, rate: float, duration: float, max_in_flight: int
) -> tuple[list[Sent], int]:
    """A call every 1/rate seconds on a fixed schedule, whatever the answers take, with at
    most `max_in_flight` outstanding. A call that cannot start on time starts late (schedule
    slip, included in the from-schedule latency); calls that could not even start before
    the `duration` is over are not sent and are returned as the missed count.

    `max_in_flight` senders take the scheduled slots in turn, each waiting for its slot's
    time: the same schedule as one task per call behind a semaphore, at a fraction of the
    client's CPU (which shares the machine with the platform it measures)."""
    rng = random.Random(2)
    total = int(rate * duration)
    bodies = [call_body(rng, i) for i in range(total)]
    slots = iter(range(total))
    results: list[Sent] = []
    t0 = time.monotonic() + 0.05
    end = t0 + duration
    sent = 0

    async def sender() -> None:
        nonlocal sent
        for i in slots:
            due = t0 + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            elif time.monotonic() > end:
                return  # this slot and the ones after it are never sent
            sent += 1
            results.append(await post_call(client, bodies[i], due))

    await asyncio.gather(*(sender() for _ in range(max_in_flight)))
    return results, total - sent


# --------------------------------------------------------------------------- metrics sampling


def parse_metrics(text: str) -> tuple[float, float]:
    """(hotline_outbox_backlog, sum of hotline_consumer_lag over its labels)."""
    backlog = lag = 0.0
    for line in text.splitlines():
        if line.startswith("hotline_outbox_backlog "):
            backlog = float(line.split()[-1])
        elif line.startswith("hotline_consumer_lag{"):
            lag += float(line.rsplit(" ", 1)[-1])
    return backlog, lag


@dataclass
class Sample:
    t: float  # seconds since the measured load began
    phase: str  # "load" or "drain"
    backlog: dict[str, float]
    lag: dict[str, float]


class Sampler:
    """Reads every service's /metrics once a second in the background."""

    def __init__(self, cluster: Cluster, t0: float):
        self.cluster = cluster
        self.t0 = t0
        self.phase = "load"
        self.samples: list[Sample] = []
        self._task: asyncio.Task[None] | None = None

    async def read(self, client: httpx.AsyncClient) -> Sample:
        async def one(service: str) -> tuple[str, float, float]:
            try:
                r = await client.get(f"{self.cluster.url(service)}/metrics", timeout=5)
                return (service, *parse_metrics(r.text))
            except httpx.HTTPError:
                return service, float("nan"), float("nan")

        got = await asyncio.gather(*(one(s) for s in SERVICES))
        return Sample(
            round(time.monotonic() - self.t0, 2),
            self.phase,
            {s: b for s, b, _ in got},
            {s: lg for s, _, lg in got},
        )

    async def _run(self) -> None:
        async with httpx.AsyncClient() as client:
            while True:
                started = time.monotonic()
                self.samples.append(await self.read(client))
                await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - started)))

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task


# --------------------------------------------------------------------------- profiling


def start_py_spy(opts: Options, cluster: Cluster) -> list[subprocess.Popen[bytes]]:
    """py-spy on every service from the start of the load to the end of the drain, as
    collapsed stacks per thread in <py_spy_dir>/<profile>-<service>[-gil].txt: every thread
    including idle ones (where each thread's wall-clock time goes), or with `py_spy_gil` only
    samples holding the GIL (where the CPU goes)."""
    if opts.py_spy is None:
        return []
    folder = opts.py_spy_dir or Path(tempfile.gettempdir()) / "hotline-profiles"
    folder.mkdir(parents=True, exist_ok=True)
    return [
        subprocess.Popen(
            [
                str(opts.py_spy),
                "record",
                "--pid",
                str(proc.pid),
                "--rate",
                "50",
                "--format",
                "raw",
                "--threads",
                "--gil" if opts.py_spy_gil else "--idle",
                "--nolineno",
                "--nonblocking",
                "--output",
                str(
                    folder
                    / f"{opts.profile.value}-{service}{'-gil' if opts.py_spy_gil else ''}.txt"
                ),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for service, proc in cluster.procs.items()
    ]


def stop_py_spy(spies: list[subprocess.Popen[bytes]]) -> None:
    for spy in spies:
        spy.send_signal(signal.SIGINT)  # py-spy writes its output when interrupted
    for spy in spies:
        try:
            spy.wait(30)
        except subprocess.TimeoutExpired:
            spy.kill()


# --------------------------------------------------------------------------- reading back


async def search_total(client: httpx.AsyncClient, **filters: str) -> int:
    r = await client.get("/api/v1/search", params={"limit": 1, **filters})
    r.raise_for_status()
    return int(r.json()["total"])


async def wait_settled(
    client: httpx.AsyncClient, expected: int, timeout: float, last: Sequence[str] = ()
) -> float | None:
    """Seconds until the search index holds `expected` dispatched tickets; None on timeout.

    Counting is a query over the whole index (on osmem-server 30,000 tickets take ~120 ms
    of its CPU), so it runs only once the `last` tickets sent are each found dispatched,
    and then at most once a second: polling the count itself would load the peer it
    measures and slow the drain."""
    started = time.monotonic()
    counted = 0.0
    while time.monotonic() - started < timeout:
        try:
            if await _all_dispatched(client, last) and time.monotonic() - counted >= 1.0:
                counted = time.monotonic()
                if await search_total(client, status="dispatched") >= expected:
                    return time.monotonic() - started
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.2)
    return None


async def _all_dispatched(client: httpx.AsyncClient, ticket_ids: Sequence[str]) -> bool:
    for ticket_id in ticket_ids:
        r = await client.get(f"/api/v1/tickets/{ticket_id}")
        if r.status_code != 200 or r.json().get("status") != "dispatched":
            return False
    return True


async def bounded(jobs: list[Callable[[], Awaitable[None]]], concurrency: int) -> None:
    queue = iter(jobs)

    async def worker() -> None:
        for job in queue:
            await job()

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def read_back(
    search: httpx.AsyncClient,
    dispatch: httpx.AsyncClient,
    ids: list[str],
    concurrency: int,
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Each ticket's search document and its dispatched_at, by ticket id."""
    docs: dict[str, dict[str, Any]] = {}
    dispatched: dict[str, str] = {}

    def fetch(ticket_id: str) -> Callable[[], Awaitable[None]]:
        async def job() -> None:
            for _ in range(3):
                try:
                    r = await search.get(f"/api/v1/tickets/{ticket_id}")
                    if r.status_code == 200:
                        docs[ticket_id] = r.json()
                    a = await dispatch.get("/api/v1/assignments", params={"ticket_id": ticket_id})
                    if a.status_code == 200 and a.json():
                        dispatched[ticket_id] = min(x["dispatched_at"] for x in a.json())
                    return
                except httpx.HTTPError:
                    await asyncio.sleep(0.5)

        return job

    await bounded([fetch(t) for t in ids], concurrency)
    return docs, dispatched


# --------------------------------------------------------------------------- the run


@dataclass
class Options:
    profile: Profile
    calls: int
    concurrency: int
    rate: float | None
    duration: float | None
    warmup: int
    settle_timeout: float
    fetch_concurrency: int
    py_spy: Path | None = None
    py_spy_dir: Path | None = None
    py_spy_gil: bool = False


@dataclass
class Report:
    options: dict[str, Any]
    machine: dict[str, Any]
    throughput: dict[str, Any]
    accept_latency_ms: dict[str, Any]
    post_to_dispatched_ms: dict[str, Any]
    post_to_searchable_ms: dict[str, Any]
    backlog: dict[str, Any]
    consumer_lag: dict[str, Any]
    cpu_cores: dict[str, dict[str, float]]
    cpu_ms_per_call: dict[str, Any]
    phases_s: dict[str, float]
    targets: dict[str, Any]
    errors: dict[str, Any]
    samples: list[dict[str, Any]] = field(default_factory=list)
    open_loop: dict[str, Any] | None = None


async def run(opts: Options, running: Running) -> Report:
    cluster = running.cluster
    agent = {"Authorization": f"Bearer {cluster.token('agent1')}"}
    dispatcher = {"Authorization": f"Bearer {cluster.token('dispatcher')}"}
    in_flight = opts.concurrency
    # The calls go out through aiohttp: it spends about a tenth of httpx's CPU per request
    # (0.24 against 2.1 ms here), and the client shares the machine with what it measures.
    # keepalive_timeout below uvicorn's 5 s keep-alive, so no request goes out on a connection
    # the server is closing (an error that is the client's fault, not the service's).
    connector = aiohttp.TCPConnector(limit=in_flight + 8, keepalive_timeout=2)
    loadavg_before = os.getloadavg()

    async with (
        aiohttp.ClientSession(
            base_url=cluster.url("intake"),
            headers=agent,
            timeout=aiohttp.ClientTimeout(total=60),
            connector=connector,
        ) as intake,
        httpx.AsyncClient(base_url=cluster.url("search"), headers=agent, timeout=60) as search,
        httpx.AsyncClient(
            base_url=cluster.url("dispatch"), headers=dispatcher, timeout=60
        ) as dispatch,
    ):
        # Warm-up: connections, consumer-group joins (Kafka), caches; not measured.
        if opts.warmup:
            warm = await closed_loop(intake, opts.warmup, min(opts.concurrency, opts.warmup))
            if not all(s.status == 201 for s in warm):
                bad = next(s for s in warm if s.status != 201)
                raise RuntimeError(f"warm-up call failed: {bad.status} {bad.error}")
            if await wait_settled(search, opts.warmup, 120) is None:
                raise RuntimeError("warm-up calls never became searchable and dispatched")
            console.print(f"[dim]warm-up: {opts.warmup} calls dispatched and searchable[/dim]")
        await asyncio.sleep(1.5)  # let the warm-up's lag gauges settle

        t0 = time.monotonic()
        sampler = Sampler(cluster, t0)
        sampler.start()
        cpu_start = running.cpu.snapshot()
        spies = start_py_spy(opts, cluster)
        if opts.rate:
            assert opts.duration
            label = f"open loop {opts.rate:g}/s for {opts.duration:g}s"
            console.print(f"[bold]sending: {label}, ≤{in_flight} in flight[/bold]")
            sent, missed = await open_loop(intake, opts.rate, opts.duration, in_flight)
        else:
            console.print(f"[bold]sending: {opts.calls} calls, concurrency {in_flight}[/bold]")
            sent, missed = await closed_loop(intake, opts.calls, in_flight), 0
        t_end = time.monotonic()
        cpu_load_end = running.cpu.snapshot()
        loadavg_end = os.getloadavg()
        sampler.phase = "drain"

        accepted = [s for s in sent if s.status == 201 and s.ticket_id]
        console.print(f"sent {len(sent)}, accepted {len(accepted)}; waiting until all settle")
        last = [s.ticket_id for s in sorted(accepted, key=lambda s: s.finished)[-20:]]
        drain = await wait_settled(
            search, opts.warmup + len(accepted), opts.settle_timeout, [t for t in last if t]
        )
        cpu_drain_end = running.cpu.snapshot()
        stop_py_spy(spies)
        await sampler.stop()
        # Each consumer refreshes its lag gauge at most every 5 s, and only between two poll
        # batches: read until the gauges show zero, for up to 30 s.
        async with httpx.AsyncClient() as plain:
            for _ in range(30):
                final = await sampler.read(plain)
                if sum(final.lag.values()) + sum(final.backlog.values()) == 0:
                    break
                await asyncio.sleep(1)
        console.print(
            f"settled after {drain:.1f}s" if drain is not None else "[red]not settled[/red]"
        )

        ids = [s.ticket_id for s in accepted if s.ticket_id]
        docs, dispatched = await read_back(search, dispatch, ids, opts.fetch_concurrency)

    # -- figures
    first = min(s.started for s in sent)
    last_done = max(s.finished for s in accepted) if accepted else first
    window = max(last_done - first, 1e-9)
    to_dispatch: list[float] = []
    to_search: list[float] = []
    for s in accepted:
        assert s.ticket_id and s.created_at
        created = parse_time(s.created_at)
        if s.ticket_id in dispatched:
            delta = parse_time(dispatched[s.ticket_id]) - created
            to_dispatch.append(delta.total_seconds() * 1000)
        doc = docs.get(s.ticket_id)
        if doc and doc.get("searchable_at"):
            to_search.append((parse_time(doc["searchable_at"]) - created).total_seconds() * 1000)

    load = [x for x in sampler.samples if x.phase == "load"]
    total_backlog = [(x.t, sum(x.backlog.values())) for x in load]
    total_lag = [(x.t, sum(x.lag.values())) for x in load]
    # The second half of the load: does the queue still grow once the system is warm?
    half = [p for p in total_backlog if p[0] >= (t_end - t0) / 2]
    half_lag = [p for p in total_lag if p[0] >= (t_end - t0) / 2]

    def per_service(values: list[dict[str, float]]) -> dict[str, float]:
        return {s: max((v[s] for v in values), default=0.0) for s in SERVICES}

    open_info = None
    if opts.rate:
        slips = [(s.started - s.scheduled) * 1000 for s in sent if s.scheduled is not None]
        from_schedule = [
            (s.finished - s.scheduled) * 1000 for s in accepted if s.scheduled is not None
        ]
        per_second: dict[int, int] = {}
        for s in accepted:
            per_second[int(s.finished - first)] = per_second.get(int(s.finished - first), 0) + 1
        full_seconds = [per_second.get(i, 0) for i in range(int(opts.duration or 0))]
        open_info = {
            "target_rate": opts.rate,
            "scheduled": int(opts.rate * (opts.duration or 0)),
            "missed_not_sent": missed,
            "duration_s": opts.duration,
            "send_window_s": round(max(s.started for s in sent) - first, 3),
            "achieved_send_rate": round(
                len(sent) / max(max(s.started for s in sent) - first, 1e-9), 1
            ),
            "schedule_slip_ms": percentiles(slips),
            "calls_started_over_50ms_late": sum(1 for x in slips if x > 50),
            "latency_from_schedule_ms": percentiles(from_schedule),
            "accepted_per_second_min": min(full_seconds[1:-1] or full_seconds or [0]),
            "accepted_per_second_max": max(full_seconds or [0]),
        }

    load_cpu = CpuMeter.between(cpu_start, cpu_load_end)
    drain_cpu = CpuMeter.between(cpu_load_end, cpu_drain_end)
    load_s = cpu_load_end.at - cpu_start.at
    drain_s = cpu_drain_end.at - cpu_load_end.at
    # CPU per accepted call, load and drain together: what a call costs end to end.
    per_call = {
        k: (load_cpu[k] * load_s + drain_cpu.get(k, 0.0) * drain_s) / max(len(accepted), 1) * 1000
        for k in running.cpu.roots
    }
    platform_ms = sum(v for k, v in per_call.items() if k != "benchmark client")
    searchable = percentiles(to_search)
    growth = [
        x for x in (slope(half), slope(half_lag)) if x is not None
    ]  # rows (events) per second
    targets: dict[str, Any] = {
        "searchable_p95_under_2s": searchable["p95"] is not None and searchable["p95"] < 2000,
        # A queue that keeps up drains within seconds of the last call; one that grows does not.
        "no_growing_backlog": drain is not None and drain < 5 and all(g < 1.0 for g in growth),
    }
    if opts.rate:
        targets["sustained_rate"] = (
            missed == 0
            and len(accepted) / window >= 0.95 * opts.rate
            and len(accepted) == len(sent)
        )

    ncpu = os.cpu_count() or 1
    return Report(
        options={
            "profile": opts.profile.value,
            "mode": "open" if opts.rate else "closed",
            "calls": len(sent),
            "concurrency": opts.concurrency,
            "rate": opts.rate,
            "duration": opts.duration,
            "warmup": opts.warmup,
        },
        machine={
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "cpu_count": ncpu,
            "python": host.python_version(),
            "kernel": host.release(),
            "loadavg_before": [round(x, 2) for x in loadavg_before],
            "loadavg_at_end_of_load": [round(x, 2) for x in loadavg_end],
        },
        throughput={
            "sent": len(sent),
            "accepted": len(accepted),
            "window_s": round(window, 3),
            "accepted_per_s": round(len(accepted) / window, 1),
            "drain_after_last_send_s": None if drain is None else round(drain, 2),
            "settled": drain is not None,
        },
        accept_latency_ms=percentiles([(s.finished - s.started) * 1000 for s in accepted]),
        post_to_dispatched_ms=percentiles(to_dispatch),
        post_to_searchable_ms=searchable,
        backlog={
            "max_total": max((v for _, v in total_backlog), default=0.0),
            "max_per_service": per_service([x.backlog for x in load]),
            "at_end_of_load": load[-1].backlog if load else {},
            "after_drain": final.backlog,
            "slope_second_half_per_s": slope(half),
        },
        consumer_lag={
            "max_total": max((v for _, v in total_lag), default=0.0),
            "max_per_service": per_service([x.lag for x in load]),
            "at_end_of_load": load[-1].lag if load else {},
            "after_drain": final.lag,
            "slope_second_half_per_s": slope(half_lag),
            "note": "each consumer refreshes the gauge at most every 5 s, between poll batches",
        },
        cpu_cores={"load": load_cpu, "drain": drain_cpu},
        cpu_ms_per_call={
            **{k: round(v, 2) for k, v in per_call.items()},
            "platform total": round(platform_ms, 2),
            "calls/s this CPU cost allows on all cores": round(ncpu * 1000 / platform_ms, 1)
            if platform_ms
            else None,
        },
        phases_s={"load": round(load_s, 2), "drain": round(drain_s, 2)},
        targets=targets,
        errors={
            "failed_calls": len(sent) - len(accepted),
            "by_status": _count(str(s.status) for s in sent if s.status != 201),
            "first": next((s.error for s in sent if s.error), None),
            "not_dispatched": len(accepted) - len(to_dispatch),
            "not_searchable": len(accepted) - len(to_search),
        },
        samples=[asdict(x) for x in sampler.samples] + [asdict(final) | {"phase": "final"}],
        open_loop=open_info,
    )


def _count(items: Iterable[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for item in items:
        found[item] = found.get(item, 0) + 1
    return found


# --------------------------------------------------------------------------- output


def _ms(stats: dict[str, Any]) -> list[str]:
    return [
        "—" if stats[k] is None else f"{stats[k]:,.0f}" if stats[k] >= 100 else f"{stats[k]:.1f}"
        for k in ("p50", "p95", "p99", "max")
    ]


def show(report: Report) -> None:
    o, t = report.options, report.throughput
    mode = (
        f"open loop {o['rate']:g}/s × {o['duration']:g}s (≤{o['concurrency']} in flight)"
        if o["mode"] == "open"
        else f"{o['calls']} calls, concurrency {o['concurrency']}"
    )
    title = f"Hotline calls — {o['profile']}, {mode}"
    summary = Table(title=title, show_header=True)
    summary.add_column("measure")
    summary.add_column("value", justify="right")
    summary.add_row(
        "CPUs / load average (before → end of load)",
        f"{report.machine['cpu_count']} / {report.machine['loadavg_before'][0]} → "
        f"{report.machine['loadavg_at_end_of_load'][0]}",
    )
    summary.add_row("accepted / sent", f"{t['accepted']} / {t['sent']}")
    summary.add_row("accepted calls/s", f"{t['accepted_per_s']}")
    if report.open_loop:
        ol = report.open_loop
        summary.add_row("achieved send rate /s", f"{ol['achieved_send_rate']}")
        summary.add_row("calls started >50 ms late", str(ol["calls_started_over_50ms_late"]))
        summary.add_row("scheduled but never sent (in-flight cap)", str(ol["missed_not_sent"]))
        summary.add_row(
            "accepted per second (min/max)",
            f"{ol['accepted_per_second_min']} / {ol['accepted_per_second_max']}",
        )
    drain = t["drain_after_last_send_s"]
    summary.add_row("drain after last send (s)", "timed out" if drain is None else f"{drain}")
    b, lg = report.backlog, report.consumer_lag
    summary.add_row(
        "outbox backlog max / end of load / after drain",
        f"{b['max_total']:.0f} / {sum(b['at_end_of_load'].values()):.0f} / "
        f"{sum(b['after_drain'].values()):.0f}",
    )
    summary.add_row(
        "backlog slope, 2nd half (rows/s)",
        "—" if b["slope_second_half_per_s"] is None else f"{b['slope_second_half_per_s']:+.1f}",
    )
    summary.add_row(
        "consumer lag max / end of load / after drain",
        f"{lg['max_total']:.0f} / {sum(lg['at_end_of_load'].values()):.0f} / "
        f"{sum(lg['after_drain'].values()):.0f}",
    )
    summary.add_row("errors", json.dumps(report.errors["by_status"]) or "0")
    summary.add_row(
        "targets met",
        ", ".join(f"{k}: {'yes' if v else 'NO'}" for k, v in report.targets.items()),
    )
    console.print(summary)

    lat = Table(title="latency (ms)", show_header=True)
    for col in ("", "p50", "p95", "p99", "max", "n"):
        lat.add_column(col, justify="right")
    rows = [
        ("accept (POST round trip)", report.accept_latency_ms),
        ("POST → dispatched", report.post_to_dispatched_ms),
        ("POST → searchable", report.post_to_searchable_ms),
    ]
    if report.open_loop:
        rows.insert(1, ("accept, from schedule", report.open_loop["latency_from_schedule_ms"]))
    for name, stats in rows:
        lat.add_row(name, *_ms(stats), str(stats["n"]))
    console.print(lat)

    cpu = Table(title="CPU cores used (average)", show_header=True)
    cpu.add_column("component")
    cpu.add_column("during load", justify="right")
    cpu.add_column("during drain", justify="right")
    cpu.add_column("ms CPU per call", justify="right")
    per_call = report.cpu_ms_per_call
    for name, value in report.cpu_cores["load"].items():
        cost = per_call.get(name)
        cpu.add_row(
            name,
            f"{value:.2f}",
            f"{report.cpu_cores['drain'].get(name, 0):.2f}",
            "" if cost is None else f"{cost:.1f}",
        )
    cpu.add_row("platform total (services + peers)", "", "", f"{per_call['platform total']:.1f}")
    console.print(cpu)
    allowed = per_call["calls/s this CPU cost allows on all cores"]
    console.print(
        f"At this CPU cost per call, {report.machine['cpu_count']} cores could carry about "
        f"{allowed} calls/s if nothing else ran and no lock serialised the work."
    )


@app.command()
def main(
    profile: Annotated[Profile, typer.Option(help="embedded, or production peers")] = (
        Profile.embedded
    ),
    calls: Annotated[int, typer.Option(help="Calls to send (closed loop, without --rate)")] = 2000,
    concurrency: Annotated[
        int, typer.Option(help="Closed loop: workers. Open loop: the most calls in flight.")
    ] = 16,
    rate: Annotated[float | None, typer.Option(help="Open loop: calls per second")] = None,
    duration: Annotated[float, typer.Option(help="Open loop: seconds to send for")] = 60.0,
    warmup: Annotated[int, typer.Option(help="Unmeasured calls sent first")] = 50,
    settle_timeout: Annotated[
        float, typer.Option(help="Seconds to wait for every call to be dispatched and searchable")
    ] = 300.0,
    fetch_concurrency: Annotated[
        int, typer.Option(help="Parallel reads when fetching timestamps")
    ] = 16,
    out: Annotated[Path | None, typer.Option(help="Write the results as JSON here")] = None,
    keep: Annotated[bool, typer.Option(help="Keep the data and log folder")] = False,
    py_spy: Annotated[
        Path | None, typer.Option(help="A py-spy binary: profile every service during the run")
    ] = None,
    py_spy_dir: Annotated[
        Path | None, typer.Option(help="Where py-spy writes (default: <tmp>/hotline-profiles)")
    ] = None,
    py_spy_gil: Annotated[
        bool,
        typer.Option(help="Only samples holding the GIL (where CPU goes), not wall-clock time"),
    ] = False,
) -> None:
    """Starts the platform, sends calls, prints the figures and writes them as JSON."""
    opts = Options(
        profile,
        calls,
        concurrency,
        rate,
        duration if rate else None,
        warmup,
        settle_timeout,
        fetch_concurrency,
        py_spy,
        py_spy_dir,
        py_spy_gil,
    )
    with platform(profile, keep) as running:
        report = _event_loop_run(run(opts, running))
    show(report)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(asdict(report), indent=2, ensure_ascii=False))
        console.print(f"[dim]wrote {out}[/dim]")


def _event_loop_run(coro: Coroutine[Any, Any, Report]) -> Report:
    try:
        import uvloop  # the client should not be the bottleneck
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


if __name__ == "__main__":
    app()
