"""Text matching shared by the catalogue, the address library, duplicates and the knowledge
base: Chinese has no spaces, so words are approximated by overlapping character pairs."""

from __future__ import annotations

import re

_RUNS = re.compile(r"[\u3400-\u9fff]+|[a-z0-9]+")


_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


def normalise(text: str) -> str:
    """Lower case, full-width ASCII folded to half-width, surrounding blanks dropped."""
    return text.strip().translate(_HALF_WIDTH).lower()


def bigrams(text: str) -> frozenset[str]:
    """Character pairs of each Chinese run (a lone character counts as itself) and whole
    Latin/digit tokens; punctuation separates runs."""
    grams: set[str] = set()
    for run in _RUNS.findall(normalise(text)):
        if run.isascii() or len(run) == 1:
            grams.add(run)
        else:
            grams.update(map(str.__add__, run, run[1:]))
    return frozenset(grams)


def dice(a: frozenset[str], b: frozenset[str]) -> float:
    """Sørensen–Dice overlap of two gram sets, 0 (nothing shared) to 1 (the same)."""
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def containment(query: frozenset[str], text: frozenset[str]) -> float:
    """Share of the query's grams found in the text: 1 when every pair appears."""
    if not query:
        return 0.0
    return len(query & text) / len(query)


def is_initials_query(query: str) -> bool:
    """Letters only: the agent is typing pinyin initials (zyrm for 噪音扰民)."""
    return query.isascii() and query.isalpha()
