"""What the services report while under load: their metrics, and optionally py-spy profiles."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import tempfile
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.calls.report import Options
from tests.support.harness import SERVICES, Cluster

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
