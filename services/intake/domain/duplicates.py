"""Duplicate calls (重复件): which open tickets at the same place likely describe the same
problem. Candidates come from storage already narrowed to the place and the last 30 days;
this module only judges them. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.intake.domain.text import bigrams, dice

WINDOW = timedelta(days=30)
# Two descriptions sharing this share of character pairs tell of the same thing often
# enough to show; the agent decides.
SIMILAR_TEXT = 0.3
# The opening of a description says what it is about; comparing more costs time, not hits.
COMPARED_CHARS = 300


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


def judge(candidate: Candidate, category_code: str | None, grams: frozenset[str]) -> Match | None:
    """A match when the category is the same or the text (as `grams`) is similar."""
    same = category_code is not None and candidate.category_code == category_code
    similarity = dice(grams, bigrams(candidate.description[:COMPARED_CHARS])) if grams else 0.0
    if not same and similarity < SIMILAR_TEXT:
        return None
    return Match(candidate.ticket_id, similarity + (1.0 if same else 0.0), same, similarity)


def rank(
    candidates: list[Candidate], category_code: str | None, text: str, limit: int
) -> list[Match]:
    """Best first: same category and similar text, then the category alone, then text.
    Candidates arrive newest first, and that order breaks ties."""
    grams = bigrams(text[:COMPARED_CHARS])
    judged = (judge(c, category_code, grams) for c in candidates)
    matches = [m for m in judged if m is not None]
    return sorted(matches, key=lambda m: -m.score)[:limit]
