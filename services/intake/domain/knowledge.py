"""The knowledge base for direct answers (直接答复): short entries an admin maintains,
found by what the caller asks. An entry belongs to categories (leaves or whole branches),
is offered to agents only while it is valid (between `valid_from` and `valid_until`) and
not retired, and every save of it is a new version. Pure."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from services.intake.domain.text import bigrams, containment, normalise


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    answer: str
    keywords: tuple[str, ...] = ()
    # Category codes: a leaf (6 digits) or a branch (2 or 4), which covers its leaves.
    categories: tuple[str, ...] = ()
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    active: bool = True
    version: int = 1

    def valid_at(self, at: datetime) -> bool:
        """Within its validity dates (the end excluded)."""
        started = self.valid_from is None or self.valid_from <= at
        return started and (self.valid_until is None or at < self.valid_until)

    def offered_at(self, at: datetime) -> bool:
        """Whether agents are offered it: not retired and valid now."""
        return self.active and self.valid_at(at)

    def covers(self, category_code: str) -> bool:
        """The entry is about this category: one of its codes is the category, one of its
        branches, or (for a branch asked about) one of the branch's leaves."""
        return any(related(code, category_code) for code in self.categories)


def related(one: str, other: str) -> bool:
    return one.startswith(other) or other.startswith(one)


class KnowledgeError(Exception):
    """A draft that breaks a rule; `key` names the message, `field` the input."""

    def __init__(self, key: str, field: str, **params: Any):
        super().__init__(key)
        self.key, self.field, self.params = key, field, params


def check(entry: Entry, known: set[str]) -> None:
    """The validity dates in order and every category in the catalogue."""
    if entry.valid_from and entry.valid_until and entry.valid_until <= entry.valid_from:
        raise KnowledgeError("intake.knowledge_validity_order", "valid_until")
    for code in entry.categories:
        if code not in known:
            raise KnowledgeError("intake.knowledge_unknown_category", "categories", code=code)


def action_of(before: Entry | None, after: Entry) -> str:
    """The audit action a save is: create, retire, restore or change."""
    if before is None:
        return "create"
    if before.active and not after.active:
        return "retire"
    if not before.active and after.active:
        return "restore"
    return "change"


# What a version shows and compares: the record as people edit it.
SHOWN = ("title", "answer", "keywords", "categories", "valid_from", "valid_until", "active")


def record(entry: Entry) -> dict[str, Any]:
    """The entry as the audit log and the versions show it (JSON-ready)."""
    whole = asdict(entry)
    shown = {name: whole[name] for name in ("id", *SHOWN, "version")}
    for name in ("valid_from", "valid_until"):
        # In UTC, as stored: a version reads the same whatever offset it was typed in.
        shown[name] = shown[name].astimezone(UTC).isoformat() if shown[name] else None
    shown["keywords"], shown["categories"] = list(entry.keywords), list(entry.categories)
    return shown


def diff(before: dict[str, Any] | None, after: dict[str, Any]) -> list[dict[str, Any]]:
    """The fields that differ between two versions' records, in the order people read."""
    old = before or {}
    return [
        {"field": name, "before": old.get(name), "after": after.get(name)}
        for name in SHOWN
        if old.get(name) != after.get(name)
    ]


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


# A question with this many character pairs is a description as the caller told it rather
# than a few words typed to search: most of its pairs are noise ("我想问一下"), so it is
# matched by the rare words it shares with an entry instead.
LONG_QUESTION = 12


def rarity(entries: list[Entry]) -> dict[str, float]:
    """Each character pair's weight: high when few entries hold it (idf), absent when none."""
    held: Counter[str] = Counter()
    for entry in entries:
        held.update(_topic(entry) | bigrams(entry.answer))
    return {gram: math.log(1 + len(entries) / count) for gram, count in held.items()}


def _topic(entry: Entry) -> frozenset[str]:
    return bigrams(entry.title + " " + " ".join(entry.keywords))


def described_score(entry: Entry, description: str, weights: Mapping[str, float]) -> float:
    """0 to about 2 for a long description: how fully the caller said the entry's rarest
    keyword (or its title), how much of the title and keywords they said, and half the share
    of their words the answer holds; every pair weighted by rarity, so that common words
    ("办理", "材料") count little and the caller's words around the subject dilute little."""
    said = bigrams(description)
    topic = _topic(entry)
    if not said or not topic:
        return 0.0
    rarest = max(weights.values(), default=1.0)
    # A pair no entry holds counts as the commonest one.
    unseen = min(weights.values(), default=1.0)

    def weight(grams: frozenset[str]) -> float:
        return sum(weights.get(g, unseen) for g in grams)

    def named(phrase: str) -> float:
        grams = bigrams(phrase)
        if not grams:
            return 0.0
        # A two-character word (老人) is said in passing more often than a longer one.
        return weight(said & grams) / (max(len(grams), 2) * rarest)

    best = max(named(p) for p in (entry.title, *entry.keywords))
    covered = weight(said & topic) / weight(topic)
    return best + covered + 0.5 * weight(said & bigrams(entry.answer)) / weight(said)


def search(
    entries: list[Entry], query: str, limit: int = 10, category_code: str | None = None
) -> list[tuple[Entry, float]]:
    """Relevant entries, best first; with no question, the category's entries."""
    found = []
    weights = rarity(entries) if len(bigrams(query)) >= LONG_QUESTION else None
    for entry in entries:
        if weights is not None:
            relevance = described_score(entry, query, weights)
        else:
            relevance = score(entry, query) if query.strip() else RELEVANT
        if category_code and entry.covers(category_code):
            relevance += SAME_CATEGORY
        if relevance >= RELEVANT + (0 if query.strip() else SAME_CATEGORY):
            found.append((entry, relevance))
    return sorted(found, key=lambda pair: (-pair[1], pair[0].title))[:limit]


def browse(entries: list[Entry], text: str, category_code: str | None, limit: int) -> list[Entry]:
    """The admin's list: entries whose title or answer holds the text (all when empty), of
    the category (or its branch) when one is given, by title."""
    needle = normalise(text)
    found = [
        e
        for e in entries
        if (not needle or needle in normalise(e.title) or needle in normalise(e.answer))
        and (not category_code or e.covers(category_code))
    ]
    return sorted(found, key=lambda e: e.title)[:limit]
