"""The category suggester's pure parts: the keyword baseline it must beat, the measures it
is judged by, the fixed held-out split of labelled tickets, the cold-start documents drawn
from the catalogue and the knowledge base, and the rule that lets a new model serve."""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from services.intake.domain.catalogue import Catalogue
from services.intake.domain.knowledge import Entry

Predict = Callable[[str], list[str]]
# One in five labelled tickets is held out for the evaluation, always the same ones.
HELD_OUT = 5


def keyword_baseline(catalogue: Catalogue, k: int = 3) -> Predict:
    """What an agent gets without the model: the catalogue's own search (names, keywords,
    pinyin initials) run over the caller's words."""

    def predict(text: str) -> list[str]:
        return [hit.category.code for hit in catalogue.search(text, limit=k)]

    return predict


def evaluate(predict: Predict, texts: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """Top-1 and top-3 accuracy and macro-F1 (of the first guess, over the labels seen)."""
    n = len(texts)
    if n == 0:
        return {"top1": 0.0, "top3": 0.0, "macro_f1": 0.0, "n": 0}
    top1 = top3 = 0
    firsts: list[str | None] = []
    for text, label in zip(texts, labels, strict=True):
        guesses = predict(text)[:3]
        first = guesses[0] if guesses else None
        firsts.append(first)
        top1 += first == label
        top3 += label in guesses
    return {
        "top1": round(top1 / n, 4),
        "top3": round(top3 / n, 4),
        "macro_f1": round(macro_f1(firsts, labels), 4),
        "n": n,
    }


def macro_f1(predicted: Sequence[str | None], labels: Sequence[str]) -> float:
    """The mean F1 over the true labels, so a rare leaf weighs as much as a common one."""
    hits: dict[str, int] = defaultdict(int)
    guessed: dict[str, int] = defaultdict(int)
    actual: dict[str, int] = defaultdict(int)
    for guess, label in zip(predicted, labels, strict=True):
        actual[label] += 1
        if guess is not None:
            guessed[guess] += 1
        if guess == label:
            hits[label] += 1
    scores = []
    for label, count in actual.items():
        precision = hits[label] / guessed[label] if guessed[label] else 0.0
        recall = hits[label] / count
        total = precision + recall
        scores.append(2 * precision * recall / total if total else 0.0)
    return sum(scores) / len(scores)


@dataclass(frozen=True)
class Labelled:
    key: str
    text: str
    label: str
    # A corpus may fix its own split (True: held out); tickets are split by their key.
    test: bool | None = None


def held_out(item: Labelled) -> bool:
    """Whether a ticket belongs to the held-out part: decided by its key alone, so a
    ticket stays on its side across retrains and the models' evaluations compare."""
    if item.test is not None:
        return item.test
    return zlib.crc32(item.key.encode()) % HELD_OUT == 0


def split(items: Iterable[Labelled]) -> tuple[list[Labelled], list[Labelled]]:
    """(train, test). A leaf with a single ticket trains on it rather than only testing."""
    per_label: dict[str, int] = defaultdict(int)
    kept = list(items)
    for item in kept:
        per_label[item.label] += 1
    train: list[Labelled] = []
    test: list[Labelled] = []
    for item in kept:
        (test if held_out(item) and per_label[item.label] > 1 else train).append(item)
    return train, test


def priors(catalogue: Catalogue, entries: Iterable[Entry] = ()) -> list[tuple[str, str]]:
    """(text, leaf) documents every model learns from besides tickets, so a leaf nobody
    has logged a ticket for can still be suggested: its name, its path, its keywords and
    the knowledge entries about it."""
    documents: list[tuple[str, str]] = []
    leaves = catalogue.leaves()
    for leaf in leaves:
        path = catalogue.path(leaf.code)
        documents.append((leaf.name, leaf.code))
        documents.append((" ".join(path), leaf.code))
        documents.extend((word, leaf.code) for word in leaf.keywords)
        if leaf.keywords:
            documents.append((leaf.name + " " + " ".join(leaf.keywords), leaf.code))
    for entry in entries:
        if not entry.active:
            continue
        text = entry.title + " " + " ".join(entry.keywords)
        documents.extend((text, leaf.code) for leaf in leaves if entry.covers(leaf.code))
    return documents


def may_serve(new_top3: float, serving_top3: float | None) -> bool:
    """A new model serves only if it suggests the right leaf among three at least as often
    as the one serving now on the held-out tickets."""
    return serving_top3 is None or new_top3 >= serving_top3
