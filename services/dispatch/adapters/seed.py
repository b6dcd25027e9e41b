"""Departments, routing rules, categories and SLA policies shipped as configuration files."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from services.dispatch.domain.routing import Department, Router, Rule
from services.dispatch.domain.sla import (
    ANY_URGENCY,
    CLOCKS,
    Policy,
    PolicyBook,
    most_specific_first,
)

SEED = Path(__file__).resolve().parent.parent / "seed"
FALLBACK = "C-CENTER"


def _read(name: str, path: Path | None = None) -> dict[str, Any]:
    return tomllib.loads((path or SEED / name).read_text(encoding="utf-8"))


def load_departments() -> list[Department]:
    """Generated offices (directory.toml) and hand-kept agencies (agencies.toml)."""
    rows = _read("directory.toml")["departments"] + _read("agencies.toml")["departments"]
    return [Department(r["code"], r["name"], r["kind"], r.get("area")) for r in rows]


def department_parents() -> dict[str, str]:
    """Street office code → its district government's code."""
    rows = _read("directory.toml")["departments"]
    return {r["code"]: r["parent"] for r in rows if r.get("parent")}


def load_rules() -> list[Rule]:
    return [
        Rule(
            r["id"],
            r["department"],
            category=r.get("category"),
            area=r.get("area"),
            co=tuple(r.get("co", ())),
        )
        for r in _read("rules.toml")["rules"]
    ]


def rule_notes() -> dict[str, str]:
    return {r["id"]: r.get("note", "") for r in _read("rules.toml")["rules"]}


def load_categories() -> dict[str, str]:
    """Category code → name, as intake's catalogue had them when the seed was generated."""
    return {c["code"]: c["name"] for c in _read("categories.toml")["categories"]}


def load_router() -> Router:
    return Router(load_departments(), load_rules(), fallback=FALLBACK)


def load_policies(path: Path | None = None) -> PolicyBook:
    """The shipped policies, which seed an empty database. Each limit counts natural hours
    or working time: the policy's `time`, or the limit's own (`contact = { hours = 2, time =
    "natural" }`)."""
    source = path or SEED / "sla.toml"
    data = _read("sla.toml", path)
    policies = {}
    for name, p in data["policies"].items():
        if "working_days" in p:
            raise ValueError(
                f'{source}: policy {name}: `working_days` is replaced by `time` = "working" '
                'or "natural"; working time now counts working hours only (09:00-18:00 by '
                "default), so review the hours as well"
            )
        limits = {clock: _limit(p[clock], p.get("time", "working")) for clock in CLOCKS}
        policies[name] = Policy(
            name,
            {clock: basis for clock, (_, basis) in limits.items()},
            {clock: hours for clock, (hours, _) in limits.items()},
            float(p["warn_share"]),
            float(p["max_extension_hours"]),
        )
    entries = data.get("categories", [])
    mapped = {(c["prefix"], c.get("urgency", ANY_URGENCY)): c["policy"] for c in entries}
    return PolicyBook(policies, most_specific_first(mapped))


def _limit(value: Any, default: str) -> tuple[float, Any]:
    if isinstance(value, dict):
        return float(value["hours"]), value.get("time", default)
    return float(value), default
