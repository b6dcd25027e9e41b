"""Urgency cues: words of danger or distress in a caller's description (a gas smell, an
elderly person alone who fell, water in the electrics) that suggest an urgency for the agent
to confirm. The suggestion never decides: the agent chooses the urgency. The list of cues is
configuration (a TOML file); matching is pure.

A cue's word is a plain word (煤气味) or a simple pattern of parts in order, joined by "…"
(独居老人…摔倒): each later part within `PATTERN_GAP` characters of the previous one. Spaces
and punctuation between characters do not matter (煤 气 味, 煤-气-味). A word the caller
denies does not fire: one of the common negations (没有, 没, 不是, 并非) in the same clause,
at most `NEGATION_GAP` characters before the word (没有煤气味, 没闻到煤气味, 不是着火); a
question (有没有, 是不是) or 淹没 is not a denial. Denials after the word (煤气味已经没有了)
are not understood: such a description still shows the cue, and the agent decides."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Most severe first: the suggestion is the most severe urgency among the cues found.
SEVERITY = ("urgent", "utilities", "complex")
PATTERN_GAP = 12
NEGATION_GAP = 2
NEGATIONS = ("没有", "并非", "不是", "没")
# A negation preceded by one of these is a question or another word (有没有, 是不是, 淹没).
NOT_DENIALS = {"没": ("有", "淹", "埋", "出"), "没有": ("有",), "不是": ("是",)}
PARTS = re.compile(r"…+|\.{3,}")
_WORD_CHAR = re.compile(r"[\w]", re.UNICODE)
_CLAUSE_END = set("，。！？；：,.!?;:\n")


@dataclass(frozen=True)
class Cue:
    words: tuple[str, ...]
    urgency: str
    reason: Mapping[str, str]  # by language: zh, en


@dataclass(frozen=True)
class Found:
    word: str
    urgency: str
    reason: Mapping[str, str]
    at: int  # where in the description, to list cues in the caller's order


class CueFileError(ValueError):
    """The cue file cannot be used; the message names the file and what is wrong."""


def _squeezed(text: str) -> tuple[str, list[int]]:
    """The text's word characters alone (lower case, full-width folded) and, for each, its
    index in the text: matching ignores what lies between characters."""
    kept, where = [], []
    for index, char in enumerate(text):
        if _WORD_CHAR.match(char) and char != "_":
            kept.append(char)
            where.append(index)
    return "".join(kept).translate(_HALF_WIDTH).lower(), where


_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


def parts_of(word: str) -> list[str]:
    """A word's parts, squeezed as descriptions are: "独居老人…摔倒" → [独居老人, 摔倒]."""
    return [p for p in (_squeezed(part)[0] for part in PARTS.split(word)) if p]


def _matches(squeezed: str, parts: list[str]) -> list[int]:
    """Where the parts occur in order (each within PATTERN_GAP of the previous)."""
    starts = []
    first = squeezed.find(parts[0])
    while first >= 0:
        end, ok = first + len(parts[0]), True
        for part in parts[1:]:
            found = squeezed.find(part, end, end + PATTERN_GAP + len(part))
            if found < 0:
                ok = False
                break
            end = found + len(part)
        if ok:
            starts.append(first)
        first = squeezed.find(parts[0], first + 1)
    return starts


def denied(text: str, start: int) -> bool:
    """Whether the word at `start` (an index in `text`) follows a negation in its clause."""
    before = []
    for char in reversed(text[:start]):
        if char in _CLAUSE_END:
            break
        if _WORD_CHAR.match(char):
            before.append(char)
        if len(before) >= NEGATION_GAP + 3:
            break
    lead = "".join(reversed(before))
    for negation in NEGATIONS:
        at = lead.rfind(negation)
        if at < 0 or len(lead) - at - len(negation) > NEGATION_GAP:
            continue
        if at > 0 and lead[at - 1] in NOT_DENIALS.get(negation, ()):
            continue
        return True
    return False


def find(cues: tuple[Cue, ...], description: str) -> list[Found]:
    """The cues the description raises (each once, where it first fires undenied), most
    severe first, then in the caller's order."""
    squeezed, where = _squeezed(description)
    found = []
    for cue in cues:
        hit = _first_hit(cue, description, squeezed, where)
        if hit is not None:
            word, at = hit
            found.append(Found(word, cue.urgency, cue.reason, at))
    return sorted(found, key=lambda f: (SEVERITY.index(f.urgency), f.at))


def _first_hit(
    cue: Cue, description: str, squeezed: str, where: list[int]
) -> tuple[str, int] | None:
    hits = []
    for order, word in enumerate(cue.words):
        for start in _matches(squeezed, parts_of(word)):
            if not denied(description, where[start]):
                hits.append((where[start], order, word))
                break
    if not hits:
        return None
    at, _, word = min(hits)
    return word, at


def suggested(found: list[Found]) -> str | None:
    """The most severe urgency among the cues found, or None."""
    return min((f.urgency for f in found), key=SEVERITY.index, default=None)


def parse(document: Mapping[str, Any]) -> tuple[Cue, ...]:
    """Cues from the file's document; CueFileError (without the file's name) when wrong."""
    unknown = set(document) - {"cues"}
    if unknown:
        raise CueFileError(f"unknown key {sorted(unknown)[0]!r} (only [[cues]] tables)")
    raw = document.get("cues")
    if not isinstance(raw, list) or not raw:
        raise CueFileError("no [[cues]] tables: at least one cue is needed")
    return tuple(_cue(i, entry) for i, entry in enumerate(raw, 1))


def _cue(number: int, entry: Any) -> Cue:
    def wrong(why: str) -> CueFileError:
        return CueFileError(f"cue {number}: {why}")

    if not isinstance(entry, dict):
        raise wrong("not a table")
    if set(entry) - {"words", "urgency", "reason"}:
        raise wrong(f"unknown key {sorted(set(entry) - {'words', 'urgency', 'reason'})[0]!r}")
    words = entry.get("words")
    if not isinstance(words, list) or not words:
        raise wrong("words must be a non-empty list of strings")
    for word in words:
        if not isinstance(word, str) or not parts_of(word):
            raise wrong(f"word {word!r} has no letters or characters to match")
    if entry.get("urgency") not in SEVERITY:
        raise wrong(f"urgency {entry.get('urgency')!r} is not one of {', '.join(SEVERITY)}")
    reason = entry.get("reason")
    if not isinstance(reason, dict) or not all(
        isinstance(reason.get(lang), str) and reason[lang].strip() for lang in ("zh", "en")
    ):
        raise wrong('reason needs both zh and en texts: reason = { zh = "…", en = "…" }')
    return Cue(tuple(words), entry["urgency"], {"zh": reason["zh"], "en": reason["en"]})


def load(path: Path) -> tuple[Cue, ...]:
    """The cues of a TOML file; CueFileError naming the file and the fault otherwise."""
    try:
        return parse(tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, CueFileError) as exc:
        raise CueFileError(f"urgency cues file {path}: {exc}") from None
