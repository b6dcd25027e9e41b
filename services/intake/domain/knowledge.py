"""The knowledge base for direct answers (直接答复): short entries an admin maintains,
found by what the caller asks. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from services.intake.domain.text import bigrams, containment, normalise


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    answer: str
    keywords: tuple[str, ...] = ()
    category_code: str | None = None


def score(entry: Entry, query: str) -> float:
    """0 (unrelated) to about 2: the title and keywords count most, then the answer."""
    q = normalise(query)
    if not q:
        return 0.0
    grams = bigrams(q)
    exact = 1.0 if q in entry.title or any(k in q or q in k for k in entry.keywords) else 0.0
    title = containment(grams, bigrams(entry.title + " ".join(entry.keywords)))
    body = containment(grams, bigrams(entry.answer))
    return exact + title * 0.7 + body * 0.3


# Below this an entry shares too little with the question to be worth reading.
RELEVANT = 0.3
# The category the agent already chose says what the question is about.
SAME_CATEGORY = 0.5


def search(
    entries: list[Entry], query: str, limit: int = 10, category_code: str | None = None
) -> list[tuple[Entry, float]]:
    """Relevant entries, best first; with no question, the category's entries."""
    found = []
    for entry in entries:
        relevance = score(entry, query) if query.strip() else RELEVANT
        if category_code and entry.category_code == category_code:
            relevance += SAME_CATEGORY
        if relevance >= RELEVANT + (0 if query.strip() else SAME_CATEGORY):
            found.append((entry, relevance))
    return sorted(found, key=lambda pair: (-pair[1], pair[0].title))[:limit]
