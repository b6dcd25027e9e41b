"""`hotline users ...`: the accounts in the users file (HOTLINE_USERS_FILE), listed and
edited in place. Running services pick an edit up on their next request."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from services.common import user_file
from services.common.auth import Role
from services.common.settings import DEMO_USERS

app = typer.Typer(help="Accounts: list, add, change role, reset password, disable, enable.")
console = Console()
ROLES = "agent, dispatcher, dept_staff, leader or admin"

FileOption = typer.Option(
    None,
    "--file",
    envvar="HOTLINE_USERS_FILE",
    help="The users file (default: HOTLINE_USERS_FILE)",
    show_default=False,
)
DepartmentOption = typer.Option(
    None, "--department", help="Department code: required for dept_staff, none for others"
)


def _path(given: Path | None, editing: bool = True) -> Path:
    path = given or DEMO_USERS
    if editing and path.resolve() == DEMO_USERS.resolve():
        typer.echo(
            "The demo accounts ship with Hotline and are not edited: set HOTLINE_USERS_FILE "
            "(or --file) to your own users file.",
            err=True,
        )
        raise typer.Exit(2)
    return path


def _done(action: Callable[[], object]) -> None:
    try:
        action()
    except user_file.UserFileError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None


def _show_password(username: str, password: str) -> None:
    typer.echo(f"Password for {username} (shown this once; hand it over in person):")
    typer.echo(password)


@app.command("list")
def list_users(file: Path | None = FileOption) -> None:
    """The accounts: username, name, role, department and whether disabled."""
    table = Table("username", "name", "role", "department", "disabled")
    try:
        found = user_file.rows(_path(file, editing=False))
    except (OSError, ValueError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    for row in found:
        state = "yes" if row["disabled"] else ""
        table.add_row(row["username"], row["name"], row["role"], row["department"], state)
    console.print(table)


@app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="The sign-in name")],
    name: Annotated[str, typer.Option("--name", help="The name people see")],
    role: Annotated[Role, typer.Option("--role", help=ROLES)],
    department: str | None = DepartmentOption,
    file: Path | None = FileOption,
) -> None:
    """Adds an account (creating the file if needed) and prints its generated password."""
    path = _path(file)
    found: list[str] = []
    _done(lambda: found.append(user_file.add(path, username, name, role, department)))
    _show_password(username, found[0])


@app.command("set-role")
def set_role(
    username: Annotated[str, typer.Argument()],
    role: Annotated[Role, typer.Argument(help=ROLES)],
    department: str | None = DepartmentOption,
    file: Path | None = FileOption,
) -> None:
    """Changes an account's role (and department); its open sessions must sign in again."""
    path = _path(file)
    _done(lambda: user_file.set_role(path, username, role, department))
    typer.echo(f"{username} is now {role.value}.")


@app.command("reset-password")
def reset_password(
    username: Annotated[str, typer.Argument()], file: Path | None = FileOption
) -> None:
    """Gives an account a new generated password and prints it."""
    path = _path(file)
    found: list[str] = []
    _done(lambda: found.append(user_file.reset_password(path, username)))
    _show_password(username, found[0])


@app.command("disable")
def disable(username: Annotated[str, typer.Argument()], file: Path | None = FileOption) -> None:
    """The account can no longer sign in, and its open sessions are refused at once."""
    path = _path(file)
    _done(lambda: user_file.set_disabled(path, username, True))
    typer.echo(f"{username} is disabled.")


@app.command("enable")
def enable(username: Annotated[str, typer.Argument()], file: Path | None = FileOption) -> None:
    """A disabled account may sign in again (with the password it had)."""
    path = _path(file)
    _done(lambda: user_file.set_disabled(path, username, False))
    typer.echo(f"{username} is enabled.")
