"""The operator commands through the installed `hotline` entry point, as the image runs them
(`ENTRYPOINT ["hotline"]`): on the production profile before any secret is configured, from a
pipe and from a real terminal."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pwdlib import PasswordHash

from services.common.auth import TokenService, UserDirectory
from services.common.settings import Settings
from services.intake.config import IntakeSettings

BIN = Path(sys.executable).parent
PASSPHRASE = "correct horse battery staple"
PROMPTS = (b"Password: ", b"Repeat: ")


@pytest.fixture
def image_env(tmp_path: Path) -> dict[str, str]:
    """The image's environment before its operator has made any secret."""
    return {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "HOTLINE_PROFILE": "production",
        "HOTLINE_DATA_DIR": str(tmp_path),
    }


def _shell(command: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def _on_terminal(args: list[str], typed: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Runs `hotline ARGS` on a pseudo-terminal of its own, typing `typed[i]` after its i-th
    prompt; returns its exit code and everything it wrote to the terminal."""
    pid, terminal = pty.fork()
    if pid == 0:  # the child: the terminal is its controlling terminal
        try:
            os.execve(str(BIN / "hotline"), ["hotline", *args], env)
        finally:
            os._exit(127)  # never go on as a copy of the test process
    seen = b""
    for prompt, line in zip(PROMPTS, typed, strict=False):
        while prompt not in seen:
            seen += _read(terminal)
        seen = seen.replace(prompt, b"", 1)
        os.write(terminal, line.encode() + b"\n")
    while chunk := _read(terminal):
        seen += chunk
    os.close(terminal)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), seen.decode()


def _read(terminal: int) -> bytes:
    """What the program wrote next; empty once it closed the terminal."""
    ready, _, _ = select.select([terminal], [], [], 30)
    assert ready, "the program wrote nothing for 30 s"
    try:
        return os.read(terminal, 1024)
    except OSError:  # Linux: EIO once the other side is closed
        return b""


def test_hash_password_from_a_pipe_makes_an_entry_a_users_file_accepts(
    image_env: dict[str, str], tmp_path: Path
) -> None:
    made = _shell(f"echo '{PASSPHRASE}' | hotline hash-password", image_env, tmp_path)
    assert made.returncode == 0, made.stderr
    assert made.stderr == ""
    users = tmp_path / "users.toml"
    users.write_text(
        '[[users]]\nusername = "agent9"\nname = "王芳"\nrole = "agent"\n'
        f'password_hash = "{made.stdout.strip()}"\n',
        encoding="utf-8",
    )
    directory = UserDirectory.load(users)
    assert directory.authenticate("agent9", PASSPHRASE) is not None
    assert directory.authenticate("agent9", PASSPHRASE[:-1]) is None


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("hotline hash-password < /dev/null", "No password given: nothing was hashed."),
        ("echo | hotline hash-password", "No password given: nothing was hashed."),
        (
            "echo short | hotline hash-password",
            "The password is too short: at least 12 characters are needed.",
        ),
    ],
)
def test_hash_password_refuses_bad_input_in_one_line_without_a_traceback(
    image_env: dict[str, str], tmp_path: Path, given: str, message: str
) -> None:
    refused = _shell(given, image_env, tmp_path)
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert refused.stderr == message + "\n"


def test_hash_password_on_a_terminal_asks_twice_and_refuses_a_mismatch(
    image_env: dict[str, str],
) -> None:
    code, seen = _on_terminal(["hash-password"], [PASSPHRASE, PASSPHRASE + "!"], image_env)
    assert code == 1
    assert seen.strip().endswith("The two passwords differ: nothing was hashed.")
    assert "Traceback" not in seen and "$argon2" not in seen

    code, seen = _on_terminal(["hash-password"], [PASSPHRASE, PASSPHRASE], image_env)
    assert code == 0
    assert PasswordHash.recommended().verify(PASSPHRASE, seen.split()[-1])


def test_gen_key_makes_keys_and_secrets_the_production_profile_accepts(
    image_env: dict[str, str], tmp_path: Path
) -> None:
    key = _shell("hotline gen-key", image_env, tmp_path)
    secret = _shell("hotline gen-key --secret", image_env, tmp_path)
    assert (key.returncode, key.stderr, secret.returncode, secret.stderr) == (0, "", 0, "")
    Fernet(key.stdout.strip())
    TokenService(secret.stdout.strip(), ttl_minutes=5)
    settings = Settings(
        profile="production",
        rating_link_keys=key.stdout.strip(),
        jwt_secret=secret.stdout.strip(),
        users_file=tmp_path / "users.toml",
    )
    intake = IntakeSettings(
        phone_keys=key.stdout.strip(),
        caller_key_secret=_shell("hotline gen-key --secret", image_env, tmp_path).stdout.strip(),
        portal_url="https://12345.example.gov.cn/intake",
    ).checked_for(settings)
    assert settings.jwt_secret != intake.caller_key_secret
