"""Edits of the users file (HOTLINE_USERS_FILE) for `hotline users`: add an account, change
its role, reset its password, disable or enable it. Each edit keeps the file's comments and
layout (tomlkit), is checked as the services would read it before it is written, and
replaces the file atomically (a temporary file beside it, then a rename), so a service that
reloads it never reads half a file. Services notice the change by its modification time
(services.common.auth.UserDirectory) and need no restart."""

from __future__ import annotations

import fcntl
import os
import secrets
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tomlkit
from pwdlib import PasswordHash
from pydantic import ValidationError
from tomlkit.items import AoT, Table

from services.common.auth import Role, UserRecord, parse_users

HEADER = """\
Hotline accounts, one [[users]] entry each: username, name (display name), role (agent,
dispatcher, dept_staff, leader, admin), department (required for dept_staff, empty for
every other role), password_hash (argon2), disabled (true: cannot sign in) and
sessions_after (sessions signed in before it are refused; set by reset-password).
Edited with `hotline users ...`; services reload it when it changes."""
# A generated password: 16 characters from an unambiguous alphabet (~94 bits).
ALPHABET = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY34679"
PASSWORD_LENGTH = 16


class UserFileError(ValueError):
    """The edit cannot be made (unknown or existing account, a bad role or department)."""


def new_password() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(PASSWORD_LENGTH))


def read(path: Path) -> list[UserRecord]:
    """The accounts as the services read them."""
    return parse_users(tomlkit.parse(path.read_text(encoding="utf-8")).unwrap(), path)


def add(
    path: Path,
    username: str,
    name: str,
    role: Role,
    department: str | None = None,
    hasher: PasswordHash | None = None,
) -> str:
    """Adds an account (creating the file if there is none); returns its password, which
    is not stored anywhere but as its hash."""
    password = new_password()
    digest = (hasher or PasswordHash.recommended()).hash(password)

    def change(users: AoT) -> None:
        if _find(users, username) is not None:
            raise UserFileError(f"account {username!r} exists already")
        entry = tomlkit.table()
        entry.update(
            {
                "username": username,
                "name": name,
                "role": role.value,
                "department": department or "",
                "password_hash": digest,
                "disabled": False,
            }
        )
        entry.trivia.indent = "\n"  # a blank line before it, as people write the file
        users.append(entry)

    _edit(path, change, create=True)
    return password


def set_role(path: Path, username: str, role: Role, department: str | None = None) -> None:
    def change(users: AoT) -> None:
        entry = _existing(users, username)
        entry["role"] = role.value
        entry["department"] = department or ""

    _edit(path, change)


def reset_password(path: Path, username: str, hasher: PasswordHash | None = None) -> str:
    """A new generated password for the account; returns it."""
    password = new_password()
    digest = (hasher or PasswordHash.recommended()).hash(password)

    def change(users: AoT) -> None:
        entry = _existing(users, username)
        entry["password_hash"] = digest
        # Whoever signed in with the old password is signed out.
        entry["sessions_after"] = datetime.now(UTC).replace(microsecond=0)

    _edit(path, change)
    return password


def set_disabled(path: Path, username: str, disabled: bool) -> None:
    def change(users: AoT) -> None:
        _existing(users, username)["disabled"] = disabled

    _edit(path, change)


def _edit(path: Path, change: Callable[[AoT], None], create: bool = False) -> None:
    """One edit at a time per file: two operators' edits are made one after the other,
    neither lost (a lock file beside it, released when the edit ends)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / f".{path.name}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _edit_locked(path, change, create)


def _edit_locked(path: Path, change: Callable[[AoT], None], create: bool) -> None:
    if path.exists():
        document = tomlkit.parse(path.read_text(encoding="utf-8"))
    elif create:
        document = tomlkit.document()
        for line in HEADER.splitlines():
            document.add(tomlkit.comment(line))
    else:
        raise UserFileError(f"{path} does not exist")
    users = document.get("users")
    if users is None:
        users = tomlkit.aot()
        document.append("users", users)
    if not isinstance(users, AoT):
        raise UserFileError(f"{path}: 'users' must be a list of [[users]] tables")
    change(users)
    text = tomlkit.dumps(document)
    try:
        parse_users(tomlkit.parse(text).unwrap(), path)
    except ValueError as exc:
        raise UserFileError(_reason(exc)) from exc
    _replace(path, text)


def _reason(exc: ValueError) -> str:
    """What is wrong in words, without the entry's values (its password hash among them)."""
    cause = exc.__cause__
    if not isinstance(cause, ValidationError):
        return str(exc)
    return "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in cause.errors())


def _find(users: AoT, username: str) -> Table | None:
    for entry in users:
        if entry.get("username") == username:
            return entry
    return None


def _existing(users: AoT, username: str) -> Table:
    found = _find(users, username)
    if found is None:
        raise UserFileError(f"no account {username!r}")
    return found


def _replace(path: Path, text: str) -> None:
    """Writes beside the file and renames over it: readers see the old file or the new."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def rows(path: Path) -> list[dict[str, Any]]:
    """The accounts for a listing: never their hashes."""
    return [
        {
            "username": r.username,
            "name": r.name,
            "role": r.role.value,
            "department": r.department or "",
            "disabled": r.disabled,
        }
        for r in read(path)
    ]
