"""The category suggester's model: character n-grams (1–3) weighted by TF-IDF and a
logistic regression over the leaves. Characters rather than words because Chinese has no
spaces and callers' typos and homophones still share most characters with the right words;
logistic regression because its probabilities are honest enough to show as confidence."""

from __future__ import annotations

import pickle
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

from services.intake.domain.text import normalise

# scikit-learn (and numpy under it) is imported when a model is first trained or used, not
# with intake: it is half of intake's start-up time, which every restart pays.
if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression


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
        features = self._vectorizer.transform([text])
        if features.nnz == 0:
            # Not one known character: any ranking would be the priors' noise.
            return []
        import numpy as np

        probabilities = self._classifier.predict_proba(features)[0]
        best = np.argsort(-probabilities, kind="stable")[:k]
        classes = self._classifier.classes_
        return [(str(classes[i]), round(float(probabilities[i]), 4)) for i in best]

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
