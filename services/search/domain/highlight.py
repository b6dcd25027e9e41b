"""Marks where a query's terms occur in a ticket's text, for the result list.

The marks are found by looking for each term in the text (letters and digits only where
they stand as a whole word, a lone CJK character only where it stands alone, as the bigram
analysis indexes it), so both backends highlight the same way. The answer is HTML: the
text escaped, the matches in <mark>.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence

FRAGMENT = 120  # characters of context shown around the first match of a long text


def _pattern(term: str) -> str:
    escaped = re.escape(term)
    if term.isascii():
        return rf"(?<![0-9a-z]){escaped}(?![0-9a-z])"
    if len(term) == 1 and _is_cjk(term):
        return rf"(?<![\u3040-\u30ff\u3400-\u9fff]){escaped}(?![\u3040-\u30ff\u3400-\u9fff])"
    return escaped


def _is_cjk(ch: str) -> bool:
    return "\u3040" <= ch <= "\u30ff" or "\u3400" <= ch <= "\u9fff"


def spans(text: str, terms: Sequence[str]) -> list[tuple[int, int]]:
    """Merged (start, end) character spans of `text` where any term occurs."""
    folded = _fold(text)
    found = sorted(
        (m.start(), m.end()) for term in terms for m in re.finditer(_pattern(term), folded)
    )
    merged: list[tuple[int, int]] = []
    for start, end in found:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _fold(text: str) -> str:
    # Same length as the text (one character for one), so spans index the original.
    return "".join(
        folded if len(folded := unicodedata.normalize("NFKC", ch).lower()) == 1 else ch
        for ch in text
    )


def highlight(text: str, terms: Sequence[str], size: int = FRAGMENT) -> str | None:
    """The text (a window of about `size` characters around the first match when longer)
    as HTML with <mark> around matches; None when no term occurs."""
    marks = spans(text, terms)
    if not marks:
        return None
    start = max(0, min(marks[0][0] - size // 3, len(text) - size))
    end = min(len(text), start + size)
    out = ["…" if start else ""]
    cursor = start
    for left, right in marks:
        if right <= start or left >= end:
            continue
        left, right = max(left, start), min(right, end)
        out += [html.escape(text[cursor:left]), "<mark>", html.escape(text[left:right]), "</mark>"]
        cursor = right
    out += [html.escape(text[cursor:end]), "…" if end < len(text) else ""]
    return "".join(out)
