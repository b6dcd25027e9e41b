"""`hotline up` runs the whole platform; `hotline serve NAME` runs one service process."""

from __future__ import annotations

import importlib
import signal
import subprocess
import sys
import time
import tomllib
from types import FrameType

import httpx
import typer
import uvicorn
from rich.console import Console
from rich.table import Table

from services.common import logs
from services.common.settings import PORTS, Settings

app = typer.Typer(help="Hotline, the citizen hotline platform.", no_args_is_help=True)
console = Console()
SERVICES = tuple(PORTS)


@app.command()
def serve(service: str = typer.Argument(..., help="intake, dispatch, feedback or search")) -> None:
    """Runs one service: its API, outbox relay and consumers, in this process."""
    if service not in SERVICES:
        raise typer.BadParameter(f"unknown service {service!r}; one of {', '.join(SERVICES)}")
    settings = Settings()
    logs.configure(service, settings.log_level)
    build = importlib.import_module(f"services.{service}.bootstrap").build
    uvicorn.run(
        build(settings),
        host=settings.host,
        port=settings.port(service),
        root_path=settings.root_path,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
    )


@app.command()
def up(
    wait: float = typer.Option(60.0, help="Seconds to wait for every service to be ready"),
) -> None:
    """Starts all four services, prints where they are and who can log in; Ctrl-C stops all."""
    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    children = {
        s: subprocess.Popen([sys.executable, "-m", "services.cli", "serve", s]) for s in SERVICES
    }

    def stop(*_: object) -> None:
        for child in children.values():
            child.terminate()
        for child in children.values():
            try:
                child.wait(15)
            except subprocess.TimeoutExpired:
                child.kill()
        console.print("[bold]Hotline stopped.[/bold]")
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        _wait_ready(settings, children, wait)
        _print_welcome(settings)
        while all(c.poll() is None for c in children.values()):
            time.sleep(0.5)
        dead = [s for s, c in children.items() if c.poll() is not None]
        console.print(f"[red]service stopped unexpectedly: {', '.join(dead)}[/red]")
        stop()
    except KeyboardInterrupt:
        stop()


@app.command("rebuild-search")
def rebuild_search() -> None:
    """Replays every topic into a fresh search index and swaps it in; search keeps answering."""
    from services.search.rebuild_cli import run

    run(Settings(), console)


def _raise_interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _wait_ready(
    settings: Settings, children: dict[str, subprocess.Popen[bytes]], wait: float
) -> None:
    deadline = time.monotonic() + wait
    pending = set(children)
    while pending and time.monotonic() < deadline:
        for service in list(pending):
            if children[service].poll() is not None:
                console.print(f"[red]{service} exited during start-up[/red]")
                raise typer.Exit(1)
            try:
                if httpx.get(f"{settings.url_for(service)}/readyz", timeout=1).status_code == 200:
                    pending.discard(service)
            except httpx.HTTPError:
                pass
        time.sleep(0.2)
    if pending:
        console.print(f"[yellow]not ready yet: {', '.join(sorted(pending))}[/yellow]")


def _print_welcome(settings: Settings) -> None:
    services = Table(title="Hotline is running", show_header=True)
    services.add_column("service")
    services.add_column("URL")
    for service in SERVICES:
        services.add_row(service, f"{settings.url_for(service)}/  (API docs: /docs)")
    console.print(services)
    accounts = Table(title="Accounts", show_header=True)
    for column in ("username", "role", "department", "name"):
        accounts.add_column(column)
    users = tomllib.loads(settings.users_file.read_text(encoding="utf-8"))["users"]
    for u in users:
        accounts.add_row(u["username"], u["role"], u.get("department") or "", u.get("name", ""))
    console.print(accounts)
    if settings.profile == "embedded":
        console.print(
            "Demo passwords are listed in README.md. Data lives in "
            f"[bold]{settings.data_dir.resolve()}[/bold]. Ctrl-C stops everything."
        )


if __name__ == "__main__":
    app()
