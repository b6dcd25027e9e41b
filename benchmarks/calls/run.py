"""The run: warm up, send the measured load, let it drain, read back, work out the figures."""

from __future__ import annotations

import asyncio
import os
import platform as host
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import httpx

from benchmarks.calls.load import closed_loop, open_loop, read_back, wait_settled
from benchmarks.calls.report import Options, Report, parse_time, percentiles, slope
from benchmarks.calls.sampling import Sampler, start_py_spy, stop_py_spy
from benchmarks.calls.stack import CpuMeter, Running, console
from tests.support.harness import SERVICES


@dataclass
class Measured:
    """What the measured run left behind, for the figures."""

    sent: list[Any]
    missed: int
    accepted: list[Any]
    drain: float | None
    docs: dict[str, Any]
    dispatched: dict[str, Any]
    sampler: Sampler
    final: Any
    t0: float
    t_end: float
    cpu: tuple[Any, Any, Any]  # snapshots at the start, the end of the load, the end of the drain
    loadavg: tuple[Any, Any]  # before the run, at the end of the load


async def run(opts: Options, running: Running) -> Report:
    m = await _measure(opts, running)
    return _report(opts, running, m)


async def _measure(opts: Options, running: Running) -> Measured:
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
        await _warm_up(opts, intake, search)
        await asyncio.sleep(1.5)  # let the warm-up's lag gauges settle

        t0 = time.monotonic()
        sampler = Sampler(cluster, t0)
        sampler.start()
        cpu_start = running.cpu.snapshot()
        spies = start_py_spy(opts, cluster)
        sent, missed = await _send(opts, intake, in_flight)
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
        final = await _final_sample(sampler)
        console.print(
            f"settled after {drain:.1f}s" if drain is not None else "[red]not settled[/red]"
        )

        ids = [s.ticket_id for s in accepted if s.ticket_id]
        docs, dispatched = await read_back(search, dispatch, ids, opts.fetch_concurrency)
    return Measured(
        sent, missed, accepted, drain, docs, dispatched, sampler, final, t0, t_end,
        (cpu_start, cpu_load_end, cpu_drain_end), (loadavg_before, loadavg_end),
    )  # fmt: skip


async def _warm_up(opts: Options, intake: aiohttp.ClientSession, search: httpx.AsyncClient) -> None:
    """Connections, consumer-group joins (Kafka), caches; not measured."""
    if not opts.warmup:
        return
    warm = await closed_loop(intake, opts.warmup, min(opts.concurrency, opts.warmup))
    if not all(s.status == 201 for s in warm):
        bad = next(s for s in warm if s.status != 201)
        raise RuntimeError(f"warm-up call failed: {bad.status} {bad.error}")
    if await wait_settled(search, opts.warmup, 120) is None:
        raise RuntimeError("warm-up calls never became searchable and dispatched")
    console.print(f"[dim]warm-up: {opts.warmup} calls dispatched and searchable[/dim]")


async def _send(opts: Options, intake: aiohttp.ClientSession, in_flight: int) -> tuple[Any, int]:
    if opts.rate:
        assert opts.duration
        label = f"open loop {opts.rate:g}/s for {opts.duration:g}s"
        console.print(f"[bold]sending: {label}, ≤{in_flight} in flight[/bold]")
        return await open_loop(intake, opts.rate, opts.duration, in_flight)
    console.print(f"[bold]sending: {opts.calls} calls, concurrency {in_flight}[/bold]")
    return await closed_loop(intake, opts.calls, in_flight), 0


async def _final_sample(sampler: Sampler) -> Any:
    """Each consumer refreshes its lag gauge at most every 5 s, and only between two poll
    batches: read until the gauges show zero, for up to 30 s."""
    async with httpx.AsyncClient() as plain:
        for _ in range(30):
            final = await sampler.read(plain)
            if sum(final.lag.values()) + sum(final.backlog.values()) == 0:
                break
            await asyncio.sleep(1)
    return final


def _latencies(m: Measured) -> tuple[list[float], list[float]]:
    """Milliseconds from each accepted call's ticket to its dispatch and to being searchable."""
    to_dispatch: list[float] = []
    to_search: list[float] = []
    for s in m.accepted:
        assert s.ticket_id and s.created_at
        created = parse_time(s.created_at)
        if s.ticket_id in m.dispatched:
            delta = parse_time(m.dispatched[s.ticket_id]) - created
            to_dispatch.append(delta.total_seconds() * 1000)
        doc = m.docs.get(s.ticket_id)
        if doc and doc.get("searchable_at"):
            to_search.append((parse_time(doc["searchable_at"]) - created).total_seconds() * 1000)
    return to_dispatch, to_search


def _open_loop_figures(opts: Options, m: Measured, first: float) -> dict[str, Any] | None:
    if not opts.rate:
        return None
    sent, accepted = m.sent, m.accepted
    slips = [(s.started - s.scheduled) * 1000 for s in sent if s.scheduled is not None]
    from_schedule = [(s.finished - s.scheduled) * 1000 for s in accepted if s.scheduled is not None]
    per_second: dict[int, int] = {}
    for s in accepted:
        per_second[int(s.finished - first)] = per_second.get(int(s.finished - first), 0) + 1
    full_seconds = [per_second.get(i, 0) for i in range(int(opts.duration or 0))]
    return {
        "target_rate": opts.rate,
        "scheduled": int(opts.rate * (opts.duration or 0)),
        "missed_not_sent": m.missed,
        "duration_s": opts.duration,
        "send_window_s": round(max(s.started for s in sent) - first, 3),
        "achieved_send_rate": round(len(sent) / max(max(s.started for s in sent) - first, 1e-9), 1),
        "schedule_slip_ms": percentiles(slips),
        "calls_started_over_50ms_late": sum(1 for x in slips if x > 50),
        "latency_from_schedule_ms": percentiles(from_schedule),
        "accepted_per_second_min": min(full_seconds[1:-1] or full_seconds or [0]),
        "accepted_per_second_max": max(full_seconds or [0]),
    }


def _targets(
    opts: Options, m: Measured, searchable: dict[str, Any], growth: list[float], window: float
) -> dict[str, Any]:
    targets: dict[str, Any] = {
        "searchable_p95_under_2s": searchable["p95"] is not None and searchable["p95"] < 2000,
        # A queue that keeps up drains within seconds of the last call; one that grows does not.
        "no_growing_backlog": m.drain is not None and m.drain < 5 and all(g < 1.0 for g in growth),
    }
    if opts.rate:
        targets["sustained_rate"] = (
            m.missed == 0
            and len(m.accepted) / window >= 0.95 * opts.rate
            and len(m.accepted) == len(m.sent)
        )
    return targets


def _report(opts: Options, running: Running, m: Measured) -> Report:
    sent, accepted, drain, sampler, final = m.sent, m.accepted, m.drain, m.sampler, m.final
    cpu_start, cpu_load_end, cpu_drain_end = m.cpu
    first = min(s.started for s in sent)
    last_done = max(s.finished for s in accepted) if accepted else first
    window = max(last_done - first, 1e-9)
    to_dispatch, to_search = _latencies(m)

    load = [x for x in sampler.samples if x.phase == "load"]
    half = (m.t_end - m.t0) / 2
    backlog = _queue([(x.t, x.backlog) for x in load], final.backlog, half)
    lag = _queue([(x.t, x.lag) for x in load], final.lag, half)

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
    slopes = (backlog["slope_second_half_per_s"], lag["slope_second_half_per_s"])
    growth = [x for x in slopes if x is not None]  # rows (events) per second

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
            "loadavg_before": [round(x, 2) for x in m.loadavg[0]],
            "loadavg_at_end_of_load": [round(x, 2) for x in m.loadavg[1]],
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
        backlog=backlog,
        consumer_lag=lag
        | {"note": "each consumer refreshes the gauge at most every 5 s, between poll batches"},
        cpu_cores={"load": load_cpu, "drain": drain_cpu},
        cpu_ms_per_call={
            **{k: round(v, 2) for k, v in per_call.items()},
            "platform total": round(platform_ms, 2),
            "calls/s this CPU cost allows on all cores": round(ncpu * 1000 / platform_ms, 1)
            if platform_ms
            else None,
        },
        phases_s={"load": round(load_s, 2), "drain": round(drain_s, 2)},
        targets=_targets(opts, m, searchable, growth, window),
        errors={
            "failed_calls": len(sent) - len(accepted),
            "by_status": _count(str(s.status) for s in sent if s.status != 201),
            "first": next((s.error for s in sent if s.error), None),
            "not_dispatched": len(accepted) - len(to_dispatch),
            "not_searchable": len(accepted) - len(to_search),
        },
        samples=[asdict(x) for x in sampler.samples] + [asdict(final) | {"phase": "final"}],
        open_loop=_open_loop_figures(opts, m, first),
    )


def _queue(
    samples: list[tuple[float, dict[str, float]]], final: dict[str, float], half: float
) -> dict[str, Any]:
    """One queue's figures (outbox backlog or consumer lag) from its per-service samples,
    each taken `t` seconds into the load."""
    totals = [(t, sum(v.values())) for t, v in samples]
    return {
        "max_total": max((v for _, v in totals), default=0.0),
        "max_per_service": {s: max((v[s] for _, v in samples), default=0.0) for s in SERVICES},
        "at_end_of_load": samples[-1][1] if samples else {},
        "after_drain": final,
        # The second half of the load: does the queue still grow once the system is warm?
        "slope_second_half_per_s": slope([p for p in totals if p[0] >= half]),
    }


def _count(items: Iterable[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for item in items:
        found[item] = found.get(item, 0) + 1
    return found
