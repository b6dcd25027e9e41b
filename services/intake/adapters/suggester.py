"""The category suggester's model: character n-grams (1–3) weighted by TF-IDF and a
logistic regression over the leaves. Characters rather than words because Chinese has no
spaces and callers' typos and homophones still share most characters with the right words;
logistic regression because its probabilities are honest enough to show as confidence."""

from __future__ import annotations

import pickle
import re
import unicodedata
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from services.intake.domain.text import normalise

# scikit-learn (and numpy under it) is imported when a model is first trained or used, not
# with intake: it is half of intake's start-up time, which every restart pays.
if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

# The vectoriser's analyser folds each run of two or more blanks into one space.
_BLANKS = re.compile(r"\s\s+")
# An n-gram is shown when it weighs at least this share of the strongest one: below that,
# nearly every character of a description leans a little towards its leaf, and the spans
# would grow into the whole text.
SHOWN_SHARE = 0.25


class Model:
    """Suggests leaf codes for a caller's words, best first, with a confidence 0..1."""

    def __init__(
        self, vectorizer: TfidfVectorizer, classifier: LogisticRegression | None, only: str | None
    ):
        self._vectorizer = vectorizer
        self._classifier = classifier
        # Trained on a single leaf: nothing to choose between, the leaf is the answer.
        self._only = only

    @property
    def labels(self) -> list[str]:
        if self._classifier is not None:
            return [str(c) for c in self._classifier.classes_]
        return [self._only] if self._only else []

    def top(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        if not normalise(text) or k <= 0:
            return []
        if self._classifier is None:
            return [(self._only, 1.0)] if self._only else []
        grams = _grams(_BLANKS.sub(" ", normalise(text)), self._vectorizer)
        if not grams:
            # Not one known character: any ranking would be the priors' noise.
            return []
        import numpy as np

        probabilities = self._probabilities(*_tfidf(grams, self._vectorizer))
        best = np.argsort(-probabilities, kind="stable")[:k]
        classes = self._classifier.classes_
        return [(str(classes[i]), round(float(probabilities[i]), 4)) for i in best]

    def _probabilities(self, features: Any, values: Any) -> Any:
        """The classifier's predict_proba for one row, computed on its own: the same
        arithmetic (scores, then softmax, or the logistic for two leaves) without the input
        checks that cost sklearn ten times more than the sums for a single caller's text."""
        import numpy as np

        assert self._classifier is not None
        scores = self._classifier.coef_[:, features] @ values + self._classifier.intercept_
        if scores.shape[0] == 1:
            second = 1.0 / (1.0 + np.exp(-scores[0]))
            return np.array([1.0 - second, second])
        exp = np.exp(scores - scores.max())
        return exp / exp.sum()

    def explain(self, text: str, code: str, k: int = 5) -> list[str]:
        """The fragments of `text` that weighed most for leaf `code`, strongest first, at
        most `k`. Each n-gram present weighs its tf-idf value times the leaf's coefficient;
        the strongest are merged where they overlap or touch in the text, and each span is
        cut from `text` as typed. Empty with no classifier (a single leaf explains nothing)."""
        return self.explain_each(text, [code], k).get(code, [])

    def explain_each(self, text: str, codes: Sequence[str], k: int = 5) -> dict[str, list[str]]:
        """`explain` for several leaves, the text analysed once; a leaf the model does not
        know is left out."""
        if self._classifier is None or k <= 0 or not codes:
            return {}
        reading = _Reading.of(text)
        grams = _grams(reading.analysed, self._vectorizer)
        if not grams:
            return {}
        features, values = _tfidf(grams, self._vectorizer)
        classes = [str(c) for c in self._classifier.classes_]
        coef = self._classifier.coef_
        found: dict[str, list[str]] = {}
        for code in codes:
            if code not in classes:
                continue
            place = classes.index(code)
            if coef.shape[0] == 1:
                # Two leaves: one row, for the second; the first leans the other way.
                coefficients = coef[0, features] * (1.0 if place == 1 else -1.0)
            else:
                coefficients = coef[place, features]
            weights = {
                int(f): float(w)
                for f, w in zip(features, values * coefficients, strict=True)
                if w > 0 and int(f) in grams
            }
            found[code] = reading.fragments(_spans(weights, grams), k)
        return found

    def dumps(self) -> bytes:
        return pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)

    @staticmethod
    def loads(data: bytes) -> Model:
        # Only ever bytes this module wrote into intake's own database.
        model = pickle.loads(data)
        if not isinstance(model, Model):
            raise TypeError("not a suggester model")
        return model


def train(
    texts: Sequence[str], labels: Sequence[str], priors: Sequence[tuple[str, str]] = ()
) -> Model:
    """A model learned from labelled texts plus the cold-start `priors` (text, leaf), which
    are always mixed in so leaves without tickets stay suggestible."""
    import numpy as np
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    documents = list(texts) + [text for text, _ in priors]
    targets = list(labels) + [label for _, label in priors]
    if len(documents) != len(targets):
        raise ValueError("texts and labels differ in length")
    vectorizer = TfidfVectorizer(
        analyzer="char",
        ngram_range=(1, 3),
        sublinear_tf=True,
        preprocessor=normalise,
        dtype=np.float32,
    )
    if not documents:
        return Model(vectorizer, None, None)
    matrix = vectorizer.fit_transform(documents)
    if len(set(targets)) == 1:
        return Model(vectorizer, None, targets[0])
    # saga stops early (a loose tolerance, few passes): several times faster than lbfgs on
    # two hundred leaves, and the ranking no longer moves by then. saga visits the samples
    # in a shuffled order: a fixed seed makes the same tickets give the same model.
    classifier = LogisticRegression(C=20.0, solver="saga", max_iter=20, tol=1e-2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        classifier.fit(matrix, targets)
    return Model(vectorizer, classifier, None)


@dataclass(frozen=True)
class _Reading:
    """The text as the vectoriser's analyser reads it (normalised, runs of blanks folded
    into one space), with where each of its characters begins and ends in the text as typed;
    `starts` is empty when lower-casing changed the length and the two cannot be lined up."""

    text: str
    analysed: str
    starts: list[int]
    ends: list[int]

    @staticmethod
    def of(text: str) -> _Reading:
        expected = _BLANKS.sub(" ", normalise(text))
        chars: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        offset = len(text) - len(text.lstrip())
        for j, c in enumerate(text.strip(), offset):
            if c.isspace() and chars and chars[-1].isspace():
                # A run of blanks: the analyser keeps one space for all of it.
                chars[-1], ends[-1] = " ", j + 1
                continue
            folded = c if c.isspace() else normalise(c)
            chars += folded
            starts += [j] * len(folded)
            ends += [j + 1] * len(folded)
        analysed = "".join(chars)
        if analysed != expected:
            return _Reading(text, expected, [], [])
        return _Reading(text, analysed, starts, ends)

    def fragments(self, spans: list[tuple[int, int]], k: int) -> list[str]:
        found: list[str] = []
        for begin, end in spans:
            if self.starts:
                piece = self.text[self.starts[begin] : self.ends[end - 1]]
            else:
                piece = self.analysed[begin:end]
            piece = _trimmed(piece)
            # A lone 响 after 音响 says nothing new.
            if piece and not any(piece in shown for shown in found):
                found.append(piece)
                if len(found) == k:
                    break
        return found


def _grams(analysed: str, vectorizer: TfidfVectorizer) -> dict[int, tuple[int, list[int]]]:
    """Feature -> (length of its n-gram, where it starts in `analysed`), for the n-grams the
    vectoriser knows."""
    vocabulary = vectorizer.vocabulary_
    low, high = vectorizer.ngram_range
    grams: dict[int, tuple[int, list[int]]] = {}
    for n in range(low, high + 1):
        for i in range(len(analysed) - n + 1):
            feature = vocabulary.get(analysed[i : i + n])
            if feature is not None:
                grams.setdefault(feature, (n, []))[1].append(i)
    return grams


def _tfidf(grams: dict[int, tuple[int, list[int]]], vectorizer: TfidfVectorizer) -> Any:
    """The text's tf-idf row from its n-grams as the vectoriser would weigh them (counts,
    sublinear or not, times idf, unit length): two thirds cheaper than `transform`, whose
    input checks cost more than the arithmetic."""
    import numpy as np

    if vectorizer.binary or vectorizer.norm not in ("l2", None):
        raise ValueError("a vectoriser weighing other than train() sets it up")
    features = np.fromiter(grams, dtype=np.intp, count=len(grams))
    counts = np.fromiter((len(at) for _, at in grams.values()), np.float64, len(grams))
    values = 1.0 + np.log(counts) if vectorizer.sublinear_tf else counts
    if vectorizer.use_idf:
        values = values * vectorizer.idf_[features]
    if vectorizer.norm == "l2":
        values = values / np.linalg.norm(values)
    return features, values


def _spans(
    weights: dict[int, float], grams: dict[int, tuple[int, list[int]]]
) -> list[tuple[int, int]]:
    """Where the strongest n-grams sit, merged where they overlap or touch, strongest span
    (the sum of its n-grams' weights) first."""
    if not weights:
        return []
    floor = SHOWN_SHARE * max(weights.values())
    placed = sorted(
        (i, i + grams[f][0], f) for f, w in weights.items() if w >= floor for i in grams[f][1]
    )
    merged: list[tuple[int, int, set[int]]] = []
    for begin, end, feature in placed:
        if merged and begin <= merged[-1][1]:
            first, last, features = merged[-1]
            features.add(feature)
            merged[-1] = (first, max(last, end), features)
        else:
            merged.append((begin, end, {feature}))
    scored = [(-sum(weights[f] for f in fs), begin, end) for begin, end, fs in merged]
    return [(begin, end) for _, begin, end in sorted(scored)]


def _trimmed(piece: str) -> str:
    """Without blanks and punctuation at either end: a fragment shows words."""
    begin, end = 0, len(piece)
    while begin < end and not _wordlike(piece[begin]):
        begin += 1
    while end > begin and not _wordlike(piece[end - 1]):
        end -= 1
    return piece[begin:end]


def _wordlike(c: str) -> bool:
    return unicodedata.category(c)[0] in "LNM"
