"""Loads the reference data shipped with the service (seed/*.toml)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from services.intake.adapters.pinyin import initials
from services.intake.domain.addresses import AddressLibrary, Area
from services.intake.domain.catalogue import Category
from services.intake.domain.knowledge import Entry
from services.intake.domain.reference import Node, Tree

SEED_DIR = Path(__file__).resolve().parent.parent / "seed"


def seed_entries(name: str, key: str) -> list[dict[str, Any]]:
    """The `key` entries of seed/`name`, then of every seed/<stem>/*.toml beside it (a large
    tree is split by its first level, e.g. addresses/110105.toml), in file-name order."""
    first = SEED_DIR / name
    files = [first, *sorted((SEED_DIR / first.stem).glob("*.toml"))]
    entries: list[dict[str, Any]] = []
    for file in files:
        entries += tomllib.loads(file.read_text(encoding="utf-8")).get(key, [])
    return entries


def load_tree(name: str, key: str) -> Tree:
    """Codes, names and parents only, for readers that need no more."""
    return Tree(Node(e["code"], e["name"], e.get("parent")) for e in seed_entries(name, key))


def load_addresses() -> AddressLibrary:
    areas = (
        Area(
            code=e["code"],
            name=e["name"],
            parent=e.get("parent"),
            lat=e.get("lat"),
            lon=e.get("lon"),
        )
        for e in seed_entries("addresses.toml", "areas")
    )
    return AddressLibrary(areas, initials)


def load_categories() -> list[Category]:
    """The seed catalogue as version 1."""
    return [
        Category(
            code=e["code"],
            name=e["name"],
            parent=e.get("parent"),
            keywords=tuple(e.get("keywords", ())),
            initials=initials(e["name"]),
        )
        for e in seed_entries("catalogue.toml", "categories")
    ]


def load_knowledge() -> list[Entry]:
    return [
        Entry(
            id=e["id"],
            title=e["title"],
            answer=e["answer"].strip(),
            keywords=tuple(e.get("keywords", ())),
            categories=(e["category_code"],) if e.get("category_code") else (),
        )
        for e in seed_entries("knowledge.toml", "entries")
    ]
