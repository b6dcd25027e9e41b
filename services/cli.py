"""`hotline up` runs the whole platform; `hotline serve NAME` runs one service process; the
operator commands make what a production configuration needs (password hashes, keys)."""

from __future__ import annotations

import getpass
import importlib
import secrets
import sys
import tomllib
from pathlib import Path
from typing import Literal

import typer
import uvicorn
from cryptography.fernet import Fernet
from pwdlib import PasswordHash
from rich.console import Console
from rich.table import Table

from services import launcher, users_cli
from services.common import logs
from services.common.settings import PORTS, Settings

app = typer.Typer(help="Hotline, the citizen hotline platform.", no_args_is_help=True)
app.add_typer(users_cli.app, name="users", no_args_is_help=True)
console = Console()
SERVICES = tuple(PORTS)
MIN_PASSWORD_LENGTH = 12
SECRET_BYTES = 48


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
        # The platform works out a client's address from its own trusted-proxies setting;
        # uvicorn would otherwise believe X-Forwarded-For from any peer on 127.0.0.1.
        proxy_headers=False,
        timeout_graceful_shutdown=5,
    )


@app.command()
def up(
    wait: float = typer.Option(60.0, help="Seconds to wait for every service to be ready"),
) -> None:
    """Runs all four services and starts again any that dies; Ctrl-C stops all.

    Prints where the services are and who can log in. A service that dies is started again
    after a back-off while the others keep serving. Refuses to start beside another `up` on
    the same data directory, or on ports another process holds."""
    settings = Settings()
    code = launcher.run(settings, console, wait, on_ready=lambda: _print_welcome(settings))
    raise typer.Exit(code)


@app.command("hash-password")
def hash_password() -> None:
    """Prints the argon2 hash of a password, for a users file.

    On a terminal the password is asked twice; from a pipe it is one line:
    echo 'a long passphrase' | hotline hash-password"""
    first, second = _read_password()
    problem = password_problem(first, second)
    if problem:
        typer.echo(problem, err=True)
        raise typer.Exit(1)
    typer.echo(PasswordHash.recommended().hash(first))


@app.command("gen-key")
def gen_key(
    secret: bool = typer.Option(
        False,
        "--secret",
        help="A random secret for HOTLINE_JWT_SECRET, HOTLINE_CALLER_KEY_SECRET and the "
        "other secrets, instead of a key",
    ),
) -> None:
    """Prints a new Fernet key for HOTLINE_PHONE_KEYS (--secret: a random secret)."""
    typer.echo(secrets.token_urlsafe(SECRET_BYTES) if secret else Fernet.generate_key().decode())


@app.command("rebuild-search")
def rebuild_search(
    allow_shrink: bool = typer.Option(
        False,
        "--allow-shrink",
        help="Swap in the rebuilt index even when it holds fewer tickets than the live one",
    ),
) -> None:
    """Replays every topic into a fresh search index and swaps it in; search keeps answering.
    Exits 1, the live index untouched, when it cannot read the topics or would shrink it."""
    from services.search.tools.rebuild_cli import run

    if run(Settings(), console, allow_shrink=allow_shrink) is None:
        raise typer.Exit(1)


@app.command("search-generations")
def search_generations(
    keep: int | None = typer.Option(
        None, "--keep", min=1, help="Delete all but the newest N generations (and the live one)"
    ),
) -> None:
    """Lists the search index generations a rebuild left; --keep N deletes the older ones."""
    from services.search.tools.rebuild_cli import generations

    generations(Settings(), console, keep)


ledger = typer.Typer(help="Search's ledger: events chained, days sealed.", no_args_is_help=True)
app.add_typer(ledger, name="ledger")


@ledger.command("export")
def ledger_export(
    day: str | None = typer.Option(None, "--day", help="One day, YYYY-MM-DD (Beijing time)"),
    month: str | None = typer.Option(None, "--month", help="One month, YYYY-MM"),
    ticket: str | None = typer.Option(None, "--ticket", help="One ticket's chain, by its id"),
    out: str | None = typer.Option(None, "--out", help="The file to write; default stdout"),
) -> None:
    """Writes the ledger's entries (all, or of a day, month or ticket) and the seals of
    their days as JSON lines, the format docs/ledger.md describes."""
    from services.search.tools import ledger_cli

    try:
        chosen = ledger_cli.scope(day, month, ticket)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    count = ledger_cli.export(Settings(), chosen, Path(out) if out else None)
    if out:
        typer.echo(f"wrote {count:,} entries to {out}")


@ledger.command("seal")
def ledger_seal() -> None:
    """Seals every closed day not sealed yet, as search's worker does every minute."""
    from services.search.tools import ledger_cli

    ledger_cli.seal(Settings(), console)


@app.command("verify")
def verify(
    file: str | None = typer.Argument(None, help="An export of `hotline ledger export`"),
    ticket: str | None = typer.Option(
        None, "--ticket", help="Check this ticket's chain in the search database instead"
    ),
) -> None:
    """Checks a ledger export (every link and every sealed day's root), or one ticket's
    chain in the database; names the first entry that does not match and exits 1."""
    from services.search.tools import ledger_cli

    if (file is None) == (ticket is None):
        raise typer.BadParameter("give an export FILE or --ticket ID")
    if file is not None:
        checked = ledger_cli.verify_file(Path(file))
    else:
        checked = ledger_cli.verify_ticket(Settings(), str(ticket))
    if not ledger_cli.report(checked, console, sys.stderr):
        raise typer.Exit(1)


@app.command("report")
def report(
    month: str = typer.Argument(..., help="The month, YYYY-MM (Beijing time)"),
    out: str = typer.Option(".", "--out", help="The folder to write the two files into"),
    lang: str = typer.Option("zh", "--lang", help="zh or en: the language of the headings"),
) -> None:
    """Writes a month's report (月度报告) as hotline-report-YYYY-MM.xlsx and .pdf, from the
    configured search store: the figures the leaders' dashboard shows for that month."""
    from services.common.errors import DomainError
    from services.common.i18n import t
    from services.search.tools.report import write

    if lang not in ("zh", "en"):
        raise typer.BadParameter("zh or en", param_hint="--lang")
    language: Literal["zh", "en"] = "en" if lang == "en" else "zh"
    try:
        written = write(Settings(), month, Path(out), language)
    except DomainError as refused:
        typer.echo(t(refused.code, language, **refused.params), err=True)
        raise typer.Exit(2) from None
    for path in written.files:
        typer.echo(f"wrote {path}")
    typer.echo(f"in {written.seconds:.2f} s")


@app.command("train-suggester")
def train_suggester(
    corpus: str = typer.Option(
        "", "--corpus", help='JSON lines {"id", "text", "category"[, "split"]}; default: tickets'
    ),
    serve: bool = typer.Option(
        True, "--serve/--no-serve", help="Serve it if its top-3 is not worse than the serving one's"
    ),
) -> None:
    """Trains a new category suggester version on intake's labelled tickets (or a corpus),
    evaluates it on the held-out fifth against the keyword baseline and stores it."""
    from services.common.errors import DomainError
    from services.common.i18n import t
    from services.intake.tools.suggester_cli import report, train

    try:
        trained = train(Settings(), Path(corpus) if corpus else None, serve)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    except DomainError as refused:
        typer.echo(t(refused.code, "zh", **refused.params), err=True)
        raise typer.Exit(1) from None
    typer.echo(report(trained, serve))


suggester = typer.Typer(help="The category suggester's model versions.", no_args_is_help=True)
app.add_typer(suggester, name="suggester")


@suggester.command("list")
def suggester_list() -> None:
    """Every version, newest first, with its evaluation; * marks the serving one."""
    from services.intake.tools.suggester_cli import suggester as models

    table = Table("", "version", "created", "by", "source", "trained on", "top-1", "top-3")
    with models(Settings()) as found:
        for row in found.versions():
            e = row["evaluation"]
            table.add_row(
                "*" if row["serving"] else "",
                str(row["version"]),
                f"{row['created_at']:%Y-%m-%d %H:%M}",
                row["created_by"],
                row["source"],
                str(row["trained_on"]),
                f"{e['top1']:.1%} ({e['baseline_top1']:.1%})",
                f"{e['top3']:.1%} ({e['baseline_top3']:.1%})",
            )
    console.print(table)
    console.print("(in brackets: the keyword baseline on the same held-out tickets)")


@suggester.command("serve")
def suggester_serve(version: int = typer.Argument(..., help="The version to serve")) -> None:
    """Makes VERSION the serving model (e.g. back to an earlier one)."""
    from services.common.errors import DomainError
    from services.common.i18n import t
    from services.intake.tools.suggester_cli import suggester as models

    try:
        with models(Settings()) as found:
            found.serve(version)
    except DomainError as refused:
        typer.echo(t(refused.code, "zh", **refused.params), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"version {version} now serves")


calendar = typer.Typer(help="Dispatch's holiday calendar.", no_args_is_help=True)
app.add_typer(calendar, name="calendar")


@calendar.command("import")
def calendar_import(
    file: str = typer.Argument(..., help='JSON: {"year", "holidays", "workdays", "note"}'),
) -> None:
    """Imports a year's holidays and make-up workdays (调休) into dispatch, as an admin's
    PUT /api/v1/calendar/{year} does; the year then decides over the built-in calendar."""
    from services.dispatch.tools.calendar_cli import run

    try:
        typer.echo(run(Settings(), Path(file)))
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None


@app.command("config-doc")
def config_doc() -> None:
    """Writes docs/configuration.md from the settings classes of the platform and each service."""
    from services.settings_doc import write

    typer.echo(f"wrote {write()}")


def password_problem(first: str, second: str) -> str | None:
    """Why a password typed as `first` and repeated as `second` cannot be used, or None."""
    if not first.strip():
        return "No password given: nothing was hashed."
    if first != second:
        return "The two passwords differ: nothing was hashed."
    if len(first) < MIN_PASSWORD_LENGTH:
        return f"The password is too short: at least {MIN_PASSWORD_LENGTH} characters are needed."
    return None


def _read_password() -> tuple[str, str]:
    """The password and its repetition: asked twice on a terminal, one line from a pipe."""
    if not _interactive():
        line = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
        return line, line
    try:
        return getpass.getpass("Password: "), getpass.getpass("Repeat: ")
    except EOFError:
        return "", ""


def _interactive() -> bool:
    return sys.stdin.isatty()


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
