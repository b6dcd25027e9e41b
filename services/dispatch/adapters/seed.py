"""Departments and routing rules shipped as configuration."""

from __future__ import annotations

import tomllib
from pathlib import Path

from services.dispatch.domain.routing import Department, Router, Rule

SEED = Path(__file__).resolve().parent.parent / "seed" / "departments.toml"


def load_router(path: Path = SEED) -> Router:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    departments = [Department(**d) for d in data["departments"]]
    rules = [Rule(**r) for r in data["rules"]]
    return Router(departments, rules, fallback="C-CENTER")
