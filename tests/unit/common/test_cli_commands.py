"""The operator commands: `hotline hash-password` and `hotline gen-key`."""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pwdlib import PasswordHash
from typer.testing import CliRunner, Result

from services import cli
from services.common.auth import Role, TokenService, UserRecord
from services.common.settings import Settings
from services.intake.config import IntakeSettings

runner = CliRunner()
PASSPHRASE = "correct horse battery staple"


def _refused(result: Result, message: str) -> None:
    """Exit code 1 and one line of explanation; no hash, no traceback."""
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == message + "\n"
    assert isinstance(result.exception, SystemExit)


def test_hash_password_from_a_pipe_prints_a_hash_a_users_file_accepts() -> None:
    result = runner.invoke(cli.app, ["hash-password"], input=f"{PASSPHRASE}\n")
    assert result.exit_code == 0, result.output
    hashed = result.stdout.strip()
    assert PasswordHash.recommended().verify(PASSPHRASE, hashed)
    assert not PasswordHash.recommended().verify(PASSPHRASE + " ", hashed)
    UserRecord(username="agent9", name="王芳", role=Role.agent, password_hash=hashed)


def test_hash_password_keeps_inner_and_trailing_spaces_but_not_the_line_end() -> None:
    result = runner.invoke(cli.app, ["hash-password"], input=f" {PASSPHRASE} \r\n")
    assert PasswordHash.recommended().verify(f" {PASSPHRASE} ", result.stdout.strip())


@pytest.mark.parametrize("given", ["", "\n", "   \n"])
def test_hash_password_refuses_an_empty_password(given: str) -> None:
    result = runner.invoke(cli.app, ["hash-password"], input=given)
    _refused(result, "No password given: nothing was hashed.")


def test_hash_password_refuses_a_password_under_twelve_characters() -> None:
    result = runner.invoke(cli.app, ["hash-password"], input="elevenchars\n")
    _refused(result, "The password is too short: at least 12 characters are needed.")
    twelve = runner.invoke(cli.app, ["hash-password"], input="twelve-chars\n")
    assert twelve.exit_code == 0


@dataclass
class Terminal:
    """A person at a terminal who types `answers`, one per prompt, then Ctrl-D."""

    answers: list[str] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)

    def getpass(self, prompt: str = "") -> str:
        self.prompts.append(prompt)
        if not self.answers:
            raise EOFError
        return self.answers.pop(0)


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Terminal:
    person = Terminal()
    monkeypatch.setattr(cli, "_interactive", lambda: True)
    monkeypatch.setattr(cli.getpass, "getpass", person.getpass)
    return person


def test_hash_password_on_a_terminal_asks_twice(terminal: Terminal) -> None:
    terminal.answers += [PASSPHRASE, PASSPHRASE]
    result = runner.invoke(cli.app, ["hash-password"])
    assert result.exit_code == 0
    assert terminal.prompts == ["Password: ", "Repeat: "]
    assert PasswordHash.recommended().verify(PASSPHRASE, result.stdout.strip())


def test_hash_password_on_a_terminal_refuses_two_different_passwords(terminal: Terminal) -> None:
    terminal.answers += [PASSPHRASE, PASSPHRASE + "!"]
    _refused(
        runner.invoke(cli.app, ["hash-password"]), "The two passwords differ: nothing was hashed."
    )


def test_hash_password_on_a_terminal_closed_by_ctrl_d_is_refused(terminal: Terminal) -> None:
    _refused(runner.invoke(cli.app, ["hash-password"]), "No password given: nothing was hashed.")


def test_gen_key_prints_a_fernet_key_the_production_settings_accept() -> None:
    result = runner.invoke(cli.app, ["gen-key"])
    assert result.exit_code == 0
    key = result.stdout.strip()
    assert Fernet(key).decrypt(Fernet(key).encrypt(b"13812345678")) == b"13812345678"
    secret = runner.invoke(cli.app, ["gen-key", "--secret"]).stdout.strip()
    settings = Settings(
        profile="production", rating_link_keys=key, jwt_secret=secret, users_file=Path("users.toml")
    )
    portal = "https://12345.example.gov.cn/intake"
    intake = IntakeSettings(phone_keys=key, caller_key_secret=secret, portal_url=portal)
    intake = intake.checked_for(settings)
    assert intake.phone_keys == key
    assert runner.invoke(cli.app, ["gen-key"]).stdout.strip() != key


def test_gen_key_secret_prints_48_random_url_safe_bytes() -> None:
    secrets = {runner.invoke(cli.app, ["gen-key", "--secret"]).stdout.strip() for _ in range(3)}
    assert len(secrets) == 3
    for secret in secrets:
        assert len(secret) == 64  # 48 bytes in unpadded url-safe base64
        assert set(secret) <= set(string.ascii_letters + string.digits + "-_")
        TokenService(secret, ttl_minutes=5)  # long enough to sign tokens
