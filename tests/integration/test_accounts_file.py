"""A running service follows `hotline users` edits of its users file without a restart: an
account disabled there is refused at once, both its open session and a new sign-in."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from services import cli
from services.common.settings import Settings
from services.intake.bootstrap import build

ME = "/api/v1/auth/me"


def _users(path: Path, *args: str) -> str:
    """`hotline users ...` as an operator runs it beside the service."""
    done = CliRunner().invoke(cli.app, ["users", *args, "--file", str(path)])
    assert done.exit_code == 0, done.output
    return done.stdout.strip().splitlines()[-1]


def test_a_disabled_account_is_refused_by_a_running_service(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    data_dir = tmp_path_factory.mktemp("accounts-file")
    users = data_dir / "users.toml"
    password = _users(users, "add", "night1", "--name", "夜班话务员", "--role", "agent")
    with TestClient(build(Settings(data_dir=data_dir, users_file=users))) as client:
        form = {"username": "night1", "password": password}
        signed_in = client.post("/api/v1/auth/token", data=form)
        assert signed_in.status_code == 200, signed_in.text
        bearer = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        assert client.get(ME, headers=bearer).json()["username"] == "night1"

        _users(users, "disable", "night1")
        refused = client.get(ME, headers=bearer)
        assert refused.status_code == 401
        assert refused.json()["type"].endswith("auth.invalid_token")
        assert client.post("/api/v1/auth/token", data=form).status_code == 401

        _users(users, "enable", "night1")
        assert client.get(ME, headers=bearer).status_code == 200
