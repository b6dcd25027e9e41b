"""Pinyin initials (噪音扰民 → zyrm), so agents can type a few Latin letters."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

INITIALS_FILE = Path(__file__).resolve().parent.parent / "seed" / "initials.json"


@cache
def _precomputed() -> dict[str, str]:
    """Initials of every seed name, written by tools/build_initials.py."""
    if not INITIALS_FILE.exists():
        return {}
    table: dict[str, str] = json.loads(INITIALS_FILE.read_text(encoding="utf-8"))
    return table


def initials(name: str) -> str:
    """Lower-case first letters of each character's reading; other characters dropped."""
    known = _precomputed().get(name)
    return known if known is not None else convert(name)


@cache
def convert(name: str) -> str:
    """`initials` worked out by pypinyin."""
    # Imported on first use: loading pypinyin's dictionaries takes seconds on a busy
    # machine, which a service need not spend at start-up.
    from pypinyin import Style, lazy_pinyin

    letters = lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")
    return "".join(letter for letter in letters if letter.isascii() and letter.isalpha()).lower()
