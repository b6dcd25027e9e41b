"""Loads the reference trees shipped with the service."""

from __future__ import annotations

import tomllib
from pathlib import Path

from services.intake.domain.reference import Node, Tree

SEED_DIR = Path(__file__).resolve().parent.parent / "seed"


def load_tree(name: str, key: str) -> Tree:
    data = tomllib.loads((SEED_DIR / name).read_text(encoding="utf-8"))
    return Tree(Node(**entry) for entry in data[key])
