"""Duplicate calls (重复件): which open tickets at the same place likely describe the same
problem. Candidates come from storage already narrowed to the place and the last 30 days;
this module only judges them. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from services.intake.domain.text import bigrams, dice

WINDOW = timedelta(days=30)
# Two descriptions sharing this share of character pairs tell of the same thing often
# enough to show; the agent decides.
SIMILAR_TEXT = 0.3
# The opening of a description says what it is about; comparing more costs time, not hits.
COMPARED_CHARS = 300

# Why a ticket is offered: the same category at the place, similar wording, or the same
# problem said in other words along the street (domain.meaning).
Kind = Literal["same_category", "similar_text", "same_meaning"]


@dataclass(frozen=True)
class Candidate:
    ticket_id: str
    category_code: str
    description: str


@dataclass(frozen=True)
class Match:
    ticket_id: str
    score: float
    same_category: bool
    similarity: float
    kind: Kind = "same_category"
    meaning: float = 0.0  # TF-IDF cosine to what the agent typed, 0 when not compared
    why: tuple[str, ...] = ()  # the shared fragments of the ticket's text, heaviest first


def judge(candidate: Candidate, category_code: str | None, grams: frozenset[str]) -> Match | None:
    """A match when the category is the same or the text (as `grams`) is similar."""
    same = category_code is not None and candidate.category_code == category_code
    similarity = dice(grams, bigrams(candidate.description[:COMPARED_CHARS])) if grams else 0.0
    if not same and similarity < SIMILAR_TEXT:
        return None
    kind: Kind = "same_category" if same else "similar_text"
    return Match(candidate.ticket_id, similarity + (1.0 if same else 0.0), same, similarity, kind)


def rank(
    candidates: list[Candidate], category_code: str | None, text: str, limit: int
) -> list[Match]:
    """Best first: same category and similar text, then the category alone, then text.
    Candidates arrive newest first, and that order breaks ties."""
    grams = bigrams(text[:COMPARED_CHARS])
    judged = (judge(c, category_code, grams) for c in candidates)
    matches = [m for m in judged if m is not None]
    return sorted(matches, key=lambda m: -m.score)[:limit]
