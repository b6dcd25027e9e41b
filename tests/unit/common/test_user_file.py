"""`hotline users`: edits of the users file round-trip (comments kept, every edit readable by
the services), and a directory loaded from the file follows its edits without a restart:
a disabled account cannot sign in and its tokens are refused, a changed role or a reset
password signs its sessions out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from services import cli
from services.common import user_file
from services.common.auth import AuthContext, InvalidToken, Role, TokenService, UserDirectory

runner = CliRunner()
SECRET = "test-secret-that-is-long-enough-for-hs256"
# The demo hash of agent1pass.
HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$Q2RhlewO6fnn3NZxZc5i/g"
    "$E6MfVHLkcw8xur9hr/+94g0uqlE8SjrDh1Xk5XSGP5E"
)
EXISTING = f"""\
# Accounts of the Chaoyang centre, provisioned from the staff directory.

# 话务员
[[users]]
username = "agent1"
name = "王芳"
role = "agent"  # day shift
department = ""
password_hash = "{HASH}"
"""


def _users(path: Path, *args: str) -> Result:
    return runner.invoke(cli.app, ["users", *args, "--file", str(path)])


def _password(result: Result) -> str:
    assert result.exit_code == 0, result.output
    found = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"[A-Za-z0-9]{16}", found)
    return found


@pytest.fixture
def path(tmp_path: Path) -> Path:
    found = tmp_path / "users.toml"
    found.write_text(EXISTING, encoding="utf-8")
    return found


def test_edits_round_trip_and_keep_the_files_comments(path: Path) -> None:
    password = _password(_users(path, "add", "zhao", "--name", "赵磊", "--role", "dispatcher"))
    staff = _users(path, "add", "w1", "--name", "水务", "--role", "dept_staff")
    assert staff.exit_code == 1 and "dept_staff needs a department" in staff.stderr
    added = _users(
        path, "add", "w1", "--name", "水务", "--role", "dept_staff", "--department", "D-WATER"
    )
    _password(added)
    assert _users(path, "set-role", "zhao", "leader").exit_code == 0
    assert _users(path, "disable", "w1").exit_code == 0

    text = path.read_text(encoding="utf-8")
    for kept in ("# Accounts of the Chaoyang centre", "# 话务员", "# day shift"):
        assert kept in text
    accounts = {r.username: r for r in user_file.read(path)}
    assert (accounts["zhao"].role, accounts["zhao"].disabled) == (Role.leader, False)
    assert (accounts["w1"].department, accounts["w1"].disabled) == ("D-WATER", True)
    assert accounts["agent1"].role is Role.agent
    directory = UserDirectory.load(path)
    assert directory.authenticate("zhao", password) is not None
    assert directory.authenticate("zhao", password + "x") is None

    listed = _users(path, "list")
    assert listed.exit_code == 0 and "zhao" in listed.stdout and "leader" in listed.stdout
    assert "argon2" not in listed.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "agent1", "--name", "又一个", "--role", "agent"], "exists already"),
        (["set-role", "nobody", "agent"], "no account 'nobody'"),
        (["disable", "nobody"], "no account 'nobody'"),
        (["set-role", "agent1", "leader", "--department", "D-WATER"], "only dept_staff"),
    ],
)
def test_an_edit_that_cannot_be_made_changes_nothing(
    path: Path, args: list[str], message: str
) -> None:
    refused = _users(path, *args)
    assert refused.exit_code == 1 and message in refused.stderr
    assert path.read_text(encoding="utf-8") == EXISTING


def test_the_demo_accounts_are_never_edited(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOTLINE_USERS_FILE", raising=False)
    refused = runner.invoke(cli.app, ["users", "disable", "agent1"])
    assert refused.exit_code == 2 and "HOTLINE_USERS_FILE" in refused.stderr


def test_add_creates_a_missing_file_that_services_read(tmp_path: Path) -> None:
    path = tmp_path / "etc" / "users.toml"
    password = _password(_users(path, "add", "root1", "--name", "管理员", "--role", "admin"))
    assert path.stat().st_mode & 0o777 == 0o600
    assert UserDirectory.load(path).authenticate("root1", password) is not None


def test_a_loaded_directory_follows_the_file_without_a_restart(path: Path) -> None:
    context = AuthContext(UserDirectory.load(path), TokenService(SECRET, 30))
    password = _password(_users(path, "add", "li", "--name", "李强", "--role", "agent"))
    principal = context.directory.authenticate("li", password)
    assert principal is not None
    token = context.tokens.issue(principal)
    assert context.principal(token) == principal

    assert _users(path, "disable", "li").exit_code == 0
    assert context.directory.authenticate("li", password) is None
    with pytest.raises(InvalidToken):
        context.principal(token)

    assert _users(path, "enable", "li").exit_code == 0
    assert context.principal(token) == principal
    assert _users(path, "set-role", "li", "dispatcher").exit_code == 0
    with pytest.raises(InvalidToken):
        context.principal(token)  # issued for an agent
    again = context.directory.authenticate("li", password)
    assert again is not None and again.role is Role.dispatcher
    fresh = context.tokens.issue(again)
    assert context.principal(fresh) == again

    new = _password(_users(path, "reset-password", "li"))
    with pytest.raises(InvalidToken):
        context.principal(fresh)  # signed in with the old password
    assert context.directory.authenticate("li", password) is None
    assert context.directory.authenticate("li", new) is not None


def test_a_file_broken_by_hand_keeps_the_accounts_read_before(path: Path) -> None:
    directory = UserDirectory.load(path)
    assert directory.knows("agent1")
    path.write_text(EXISTING + "\n[[users]]\nusername = \n", encoding="utf-8")
    assert directory.knows("agent1")
    assert directory.authenticate("agent1", "agent1pass") is not None
