"""docker-compose.yml read as Docker would with deploy/.env filled in from
deploy/.env.example, so tests can check (and start) what the stack gives each service."""

from __future__ import annotations

import re
import secrets
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / "deploy" / ".env.example"
# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message}
INTERPOLATION = re.compile(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}")
# deploy/.env.example: "fill in every empty value" except these.
MAY_STAY_EMPTY = frozenset({"HOTLINE_USERS_FILE", "HOTLINE_SMS_GATEWAY_TOKEN"})


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    return loaded


def env_example() -> dict[str, str]:
    pairs = (
        line.split("=", 1)
        for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )
    return {name.strip(): value.strip() for name, value in pairs}


def compose_variables() -> dict[str, bool]:
    """Every variable compose reads, and whether it refuses to start without it."""
    found: dict[str, bool] = {}
    for name, operator, _ in INTERPOLATION.findall(COMPOSE_FILE.read_text(encoding="utf-8")):
        found[name] = found.get(name, False) or operator.endswith("?")
    return found


def _made_up(name: str) -> str:
    if name.endswith("_KEYS"):
        return Fernet.generate_key().decode()
    if name.endswith("_URL"):
        return "https://sms-gateway.example.gov.cn/send"
    return secrets.token_urlsafe(36)


@cache
def filled_env() -> dict[str, str]:
    """deploy/.env as an operator who followed deploy/.env.example would write it (each
    value made once, so services sharing a key get the same one)."""
    return {
        name: value or (value if name in MAY_STAY_EMPTY else _made_up(name))
        for name, value in env_example().items()
    }


def interpolate(value: str) -> str:
    def one(match: re.Match[str]) -> str:
        name, operator, default = match.groups()
        given = filled_env().get(name, "")
        return given or (default if operator.endswith("-") else given)

    return INTERPOLATION.sub(one, value)


def service_env(name: str) -> dict[str, str]:
    """The environment compose gives service `name`."""
    environment = compose()["services"][name]["environment"]
    return {variable: interpolate(str(value)) for variable, value in environment.items()}
