"""Duplicates by meaning: open tickets nearby that tell of the same problem in other words.
Each description is a TF-IDF vector of its single characters and character pairs (Chinese
has no spaces, and single characters such as 吵 or 漏 carry much of the meaning); the IDF
is learned from the open tickets being compared, so what every ticket of a street says
(小区, 反映) weighs little and what only a few say weighs much. Cosine similarity ranks
them; the shared pairs, merged back into the candidate's own words, say why. Pure."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from itertools import repeat
from operator import add, mul

from services.intake.domain.duplicates import Match
from services.intake.domain.text import normalise

# Chosen on benchmarks/duplicates_meaning.jsonl (see benchmarks/duplicates_meaning.md):
# above it mostly paraphrases of one problem, below it different problems sharing words.
SAME_MEANING = 0.2
# 1-2-grams: triples mostly repeat phrases of place (马路上的) that paraphrases do not share.
LONGEST = 2
# The opening of a description says what it is about (as for the other matches).
COMPARED_CHARS = 300
# Places kept in the list for matches by meaning, so a busy place's tickets of the same
# category cannot crowd them out.
MEANING_SLOTS = 3
# Fragments that explain a match: a few say why, more is the whole text again.
WHY_FRAGMENTS = 4

_RUNS = re.compile(r"[\u3400-\u9fff]+|[a-z0-9]+")


def grams(text: str, longest: int = LONGEST) -> Counter[str]:
    """Character 1..longest-grams of each Chinese run and whole Latin/digit tokens, counted."""
    found: Counter[str] = Counter()
    for run in _RUNS.findall(normalise(text[:COMPARED_CHARS])):
        if run.isascii():
            found[run] += 1
            continue
        found.update(run)
        if longest > 1:
            found.update(map(add, run, run[1:]))
        for n in range(3, longest + 1):
            found.update(run[i : i + n] for i in range(len(run) - n + 1))
    return found


@dataclass(frozen=True)
class Index:
    """Open tickets as unit vectors, with the IDF learned from them."""

    idf: dict[str, float]
    unseen: float  # the IDF of a gram no ticket has
    vectors: dict[str, dict[str, float]]  # ticket id -> gram -> weight (unit length)
    texts: dict[str, str]
    longest: int = LONGEST

    def vector(self, text: str) -> dict[str, float]:
        found = grams(text, self.longest)
        return _unit(found, map(self.idf.get, found, repeat(self.unseen)))

    def scores(self, text: str, among: Iterable[str] | None = None) -> dict[str, float]:
        """Cosine similarity of `text` to each ticket (of `among`, when given) that shares
        anything with it."""
        query = self.vector(text)
        weight = query.__getitem__
        found = {}
        for ticket_id in self.vectors if among is None else among:
            vector = self.vectors.get(ticket_id, {})
            shared = query.keys() & vector.keys()
            if shared:
                found[ticket_id] = sum(
                    map(mul, map(weight, shared), map(vector.__getitem__, shared))
                )
        return found

    def extend(self, tickets: Iterable[tuple[str, str]]) -> Index:
        """With more tickets weighed by this IDF: a street's new tickets are added as they
        come, instead of learning it all again on every one."""
        texts = dict(tickets)
        vectors = {ticket_id: self.vector(text) for ticket_id, text in texts.items()}
        return replace(self, vectors=self.vectors | vectors, texts=self.texts | texts)

    def why(self, text: str, ticket_id: str) -> tuple[str, ...]:
        """The shared grams, merged into fragments of the ticket's text, heaviest first.
        Single characters only explain when no pair is shared (one 的 says nothing)."""
        query, vector = self.vector(text), self.vectors.get(ticket_id, {})
        weights = {g: query[g] * vector[g] for g in query.keys() & vector.keys()}
        longer = {g: w for g, w in weights.items() if len(g) > 1}
        return fragments(self.texts[ticket_id], longer or weights)


def index(tickets: Iterable[tuple[str, str]], longest: int = LONGEST) -> Index:
    """`tickets` as (id, description). Smoothed IDF, as if one more text held every gram,
    so a street with a handful of tickets still weighs sensibly."""
    texts = dict(tickets)
    counts = {ticket_id: grams(text, longest) for ticket_id, text in texts.items()}
    df: Counter[str] = Counter()
    for found in counts.values():
        df.update(found.keys())
    total = len(counts) + 1
    idf = {g: math.log(total / (n + 1)) + 1 for g, n in df.items()}
    unseen = math.log(total) + 1
    vectors = {t: _unit(found, map(idf.__getitem__, found)) for t, found in counts.items()}
    return Index(idf, unseen, vectors, texts, longest)


def beside(
    matches: list[Match], index: Index, text: str, limit: int, among: Iterable[str] | None = None
) -> list[Match]:
    """The category-and-area `matches` with their meaning and why, and beside them the
    tickets of `index` (of `among`) that say the same in other words; best first, at most
    `limit`."""
    scores = index.scores(text, among) if text.strip() else {}
    judged = {m.ticket_id for m in matches}
    alike = sorted(
        ((s, t) for t, s in scores.items() if s >= SAME_MEANING and t not in judged),
        key=lambda found: -found[0],
    )[: min(MEANING_SLOTS, limit)]
    kept = matches[: limit - len(alike)] + [
        Match(t, s, False, 0.0, "same_meaning") for s, t in alike
    ]
    explained = [
        replace(m, meaning=scores[m.ticket_id], why=index.why(text, m.ticket_id))
        if m.ticket_id in scores
        else m
        for m in kept
    ]
    return sorted(explained, key=lambda m: -m.score)


def fragments(text: str, weights: dict[str, float]) -> tuple[str, ...]:
    """Where the weighted grams occur in `text`, overlapping or touching spans merged;
    each fragment in the text's own spelling, heaviest (summed weight) first."""
    folded = text[:COMPARED_CHARS].translate(_FOLD).lower()
    spans: list[tuple[int, int, float]] = []
    for gram, weight in weights.items():
        at = folded.find(gram)
        if at >= 0:
            spans.append((at, at + len(gram), weight))
    merged: list[list[float]] = []
    for start, end, weight in sorted(spans):
        if merged and start <= merged[-1][1]:
            last = merged[-1]
            last[1], last[2] = max(last[1], end), last[2] + weight
        else:
            merged.append([start, end, weight])
    merged.sort(key=lambda m: -m[2])
    return tuple(text[int(s) : int(e)] for s, e, _ in merged[:WHY_FRAGMENTS])


_FOLD = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


# Sublinear term frequency, 1 + ln(count): a word said three times is not three times the
# evidence. A table, as no gram occurs more often than the compared text has characters.
_TF = [0.0] + [1.0 + math.log(n) for n in range(1, COMPARED_CHARS + 1)]


def _unit(found: Counter[str], idf: Iterable[float]) -> dict[str, float]:
    """TF-IDF weights of `found` (with `idf` in its order), scaled to unit length. Built
    with map and zip: a street's 500 tickets are weighed while the agent waits."""
    weights = list(map(mul, map(_TF.__getitem__, found.values()), idf))
    norm = math.sqrt(sum(map(mul, weights, weights)))
    return dict(zip(found, map((1 / norm).__mul__, weights), strict=True)) if norm else {}
