"""The category suggester's use cases: suggest leaves for the caller's words with the
serving model (or, with none, the cold start learned from the catalogue and the knowledge
base), train a new version on intake's own tickets, and switch the serving version.

The serving model is cached per instance and reloaded when the serving version changes, the
cold start rebuilt when the catalogue's version moves: every instance follows a switch on
its next request, as it follows an admin's catalogue change. The latest answers are cached
too, per (serving version, catalogue version, text): the console asks about the description
the agent then submits, and the ticket's suggestion is that same answer, computed once."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from proto.tickets import CategorySuggestion
from services.common.clock import utcnow
from services.common.errors import Invalid, NotFound
from services.common.i18n import register
from services.intake.adapters.suggester import Model, train
from services.intake.domain.catalogue import Catalogue, Category
from services.intake.domain.suggest import (
    Labelled,
    evaluate,
    keyword_baseline,
    may_serve,
    priors,
    split,
)
from services.intake.handlers.ports import CatalogueCache, UnitOfWork

MESSAGES = {
    "intake.suggester_nothing_to_learn": {
        "zh": "没有可学习的已分类工单（分类须为仍在使用的末级分类）",
        "en": "No labelled tickets to learn from (their categories must be active leaves)",
    },
    "intake.suggester_version_not_found": {
        "zh": "分类推荐没有第 {version} 版模型",
        "en": "The category suggester has no model version {version}",
    },
}
register(MESSAGES)
log = logging.getLogger(__name__)

Uow = Callable[[], UnitOfWork]
# Models are asked for a few more leaves than shown: a leaf retired since training is skipped.
SPARE = 5
# What the console shows and the cache keeps: the three best leaves, five fragments each.
SHOWN = 3
WORDS = 5
# Answers kept: enough for every agent's last description between two tickets.
ANSWERS_KEPT = 256

Answer = tuple[int | None, list["Suggested"]]


@dataclass(frozen=True)
class Suggested:
    category: Category
    path: list[str]
    confidence: float
    # The fragments of the caller's words that weighed most for this leaf, strongest first.
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Trained:
    version: int
    serving: bool
    evaluation: dict[str, Any]
    trained_on: int
    # The serving model's top-3 on the same held-out tickets, when one served before.
    serving_top3: float | None


class Suggester:
    """Per instance: the model in memory and the use cases around it."""

    def __init__(self, uow: Uow, catalogue: CatalogueCache, clock: Callable[[], datetime] = utcnow):
        self._uow = uow
        self._catalogue = catalogue
        self._clock = clock
        self._lock = threading.Lock()
        # One model is loaded (or the cold start learned) at a time, outside any transaction.
        self._loading = threading.Lock()
        # (serving version or None for the cold start, catalogue version, model)
        self._cached: tuple[int | None, int, Model] | None = None
        self._answers: OrderedDict[tuple[int | None, int, str], list[Suggested]] = OrderedDict()

    def suggest(self, text: str, k: int = SHOWN) -> Answer:
        """The `k` leaves `text` most likely belongs to, best first, each with the words
        that weighed most for it."""
        version, catalogue, model = self._current()
        if k > SHOWN:
            return version, _ranked(model, catalogue, text, k)
        key = (version, catalogue.version, text)
        with self._lock:
            found = self._answers.get(key)
            if found is not None:
                self._answers.move_to_end(key)
        if found is None:
            found = _ranked(model, catalogue, text, SHOWN)
            with self._lock:
                self._answers[key] = found
                while len(self._answers) > ANSWERS_KEPT:
                    self._answers.popitem(last=False)
        return version, found[:k]

    def for_ticket(self, text: str) -> CategorySuggestion | None:
        """The leaf ranked first for a new ticket's description, as its event carries it;
        None when no leaf is suggested. A ticket never waits for a model to be loaded or the
        cold start learned (seconds of CPU, a citizen's submit or an agent's save would
        hang on it): until the current model is in memory, tickets go without a suggestion
        and the model is loaded in the background."""
        if not self._in_memory():
            return None
        version, found = self.suggest(text)
        if not found:
            return None
        best = found[0]
        return CategorySuggestion(
            category_code=best.category.code,
            confidence=best.confidence,
            model_version=version,
            words=list(best.words),
        )

    def _in_memory(self) -> bool:
        """Whether the current model is loaded; if not, starts loading it in the background
        (unless that is under way)."""
        with self._uow() as uow:
            catalogue = self._catalogue.get(uow.catalogue)
            serving = uow.suggesters.serving()
        cached = self._cached
        if cached is not None and _fresh(cached, serving, catalogue.version):
            return True
        if not self._loading.locked():
            threading.Thread(target=self._load_quietly, name="suggester-load", daemon=True).start()
        return False

    def _load_quietly(self) -> None:
        try:
            self._current()
        except Exception:
            log.exception("the category suggester's model could not be loaded")

    def _current(self) -> tuple[int | None, Catalogue, Model]:
        with self._uow() as uow:
            catalogue = self._catalogue.get(uow.catalogue)
            serving = uow.suggesters.serving()
        cached = self._cached
        if cached is None or not _fresh(cached, serving, catalogue.version):
            with self._loading:
                cached = self._cached
                if cached is None or not _fresh(cached, serving, catalogue.version):
                    model = self._load(catalogue, serving)
                    self._cached = cached = (serving, catalogue.version, model)
        return cached[0], catalogue, cached[2]

    def _load(self, catalogue: Catalogue, serving: int | None) -> Model:
        """The serving model, or the cold start: read in a short transaction, built after."""
        with self._uow() as uow:
            stored = uow.suggesters.model_bytes(serving) if serving is not None else None
            entries = uow.knowledge.every() if stored is None else []
        if stored is not None:
            return Model.loads(stored)
        return train([], [], priors(catalogue, entries))

    def train(
        self,
        by: str,
        source: str = "tickets",
        corpus: Sequence[Labelled] | None = None,
        serve: bool = True,
    ) -> Trained:
        """A new version from the labelled tickets (or `corpus`) under leaves still active,
        evaluated on the fixed held-out fifth against the keyword baseline and the serving
        model; it serves when `serve` and its top-3 is not worse than the serving one's."""
        with self._uow() as uow:
            catalogue = self._catalogue.get(uow.catalogue)
            documents = priors(catalogue, uow.knowledge.every())
            items = list(corpus) if corpus is not None else uow.suggesters.labelled()
            serving = uow.suggesters.serving()
            old = _stored(uow, serving) if serving is not None else None
        active = {leaf.code for leaf in catalogue.leaves()}
        kept = [i for i in items if i.label in active]
        if not kept:
            raise Invalid("intake.suggester_nothing_to_learn")
        learn, test = split(kept)
        model = train([i.text for i in learn], [i.label for i in learn], documents)
        evaluation = _evaluation(model, catalogue, test)
        old_top3 = _evaluation(old, catalogue, test)["top3"] if old is not None else None
        serves = serve and may_serve(evaluation["top3"], old_top3)
        with self._uow() as uow:
            values = {
                "created_at": self._clock(),
                "created_by": by,
                "source": source[:300],
                "trained_on": len(learn),
                "evaluation": evaluation,
                "model": model.dumps(),
            }
            version = uow.suggesters.add(values)
            if serves:
                uow.suggesters.serve(version)
            uow.commit()
        return Trained(version, serves, evaluation, len(learn), old_top3)

    def serve(self, version: int) -> None:
        """Makes `version` the serving model (e.g. back to an earlier one)."""
        with self._uow() as uow:
            if uow.suggesters.get(version) is None:
                raise NotFound("intake.suggester_version_not_found", version=version)
            uow.suggesters.serve(version)
            uow.commit()

    def versions(self) -> list[dict[str, Any]]:
        with self._uow() as uow:
            return uow.suggesters.listed()

    def retrain_if_due(self, min_new: int) -> int:
        """The scheduled retrain: trains when at least `min_new` tickets were logged since
        the latest version; returns 1 if it trained."""
        with self._uow() as uow:
            new = uow.suggesters.tickets_since(uow.suggesters.latest_created_at())
        if new < min_new:
            return 0
        try:
            self.train("system", "scheduled")
        except Invalid:
            return 0
        return 1


def _fresh(cached: tuple[int | None, int, Model], serving: int | None, catalogue: int) -> bool:
    # A trained model stays while it serves; the cold start follows the catalogue.
    if serving is not None:
        return cached[0] == serving
    return cached[0] is None and cached[1] == catalogue


def _ranked(model: Model, catalogue: Catalogue, text: str, k: int) -> list[Suggested]:
    """The model's best `k` leaves still in use, and the words behind each."""
    found = []
    for code, confidence in model.top(text, k + SPARE):
        leaf = catalogue.get(code)
        if leaf is not None and leaf.is_leaf and not leaf.retired:
            found.append((leaf, confidence))
    found = found[:k]
    words = model.explain_each(text, [leaf.code for leaf, _ in found], WORDS)
    return [
        Suggested(leaf, catalogue.path(leaf.code), confidence, tuple(words.get(leaf.code, ())))
        for leaf, confidence in found
    ]


def _stored(uow: UnitOfWork, version: int) -> Model | None:
    data = uow.suggesters.model_bytes(version)
    return Model.loads(data) if data is not None else None


def _evaluation(model: Model, catalogue: Catalogue, test: list[Labelled]) -> dict[str, Any]:
    texts = [i.text for i in test]
    labels = [i.label for i in test]
    timings: list[float] = []

    def predict(text: str) -> list[str]:
        started = time.perf_counter()
        codes = [code for code, _ in model.top(text, 3)]
        timings.append((time.perf_counter() - started) * 1000)
        return codes

    result = evaluate(predict, texts, labels)
    baseline = evaluate(keyword_baseline(catalogue), texts, labels)
    result["p95_ms"] = round(p95(timings), 2)
    result["baseline_top1"] = baseline["top1"]
    result["baseline_top3"] = baseline["top3"]
    result["n_test"] = result.pop("n")
    return result


def p95(values: Sequence[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
