"""The run's options, the report it produces, the statistics behind it, and the console
output."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.table import Table

from benchmarks.calls.stack import Profile, console

# --------------------------------------------------------------------------- options and report


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
