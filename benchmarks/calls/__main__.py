"""The command line: python -m benchmarks.calls --help."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

import benchmarks.calls
from benchmarks.calls.report import Options, Report, show
from benchmarks.calls.run import run
from benchmarks.calls.stack import Profile, console, platform

app = typer.Typer(
    add_completion=False, help=benchmarks.calls.__doc__, pretty_exceptions_enable=False
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
