"""Intent classification: TF-IDF word and character n-grams with a linear model.

Character n-grams make "premim", "ballance" and "autopy" look like what they misspell; word
bigrams keep "cancel autopay" apart from "cancel". Amounts, dates, references and member ids
are replaced by one token per entity type before featurizing, so "pay $85.50" and "pay $120"
are the same sentence to the model and no particular value is learned (or stored in the cache).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from dialogs.engine.nlu.entities import BUILTIN_ENTITIES

# One made-up word per entity type: nothing a member types collides with it.
_PLACEHOLDERS = {name: f" zz{name.replace('_', '')}zz " for name in BUILTIN_ENTITIES}
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
# The model only needs the gist: a member's first few sentences say what they want.
MAX_CLASSIFIED_CHARS = 500


def featurize_text(text: str, spans: Iterable[tuple[str, int, int]]) -> str:
    """The text the model sees: entity values swapped for their type, apostrophes unified."""
    pieces, cursor = [], 0
    for entity, start, end in sorted(spans, key=lambda span: span[1]):
        if entity in _PLACEHOLDERS:
            pieces += [text[cursor:start], _PLACEHOLDERS[entity]]
            cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)[:MAX_CLASSIFIED_CHARS].translate(_APOSTROPHES)


class IntentClassifier:
    def __init__(self, features: FeatureUnion, model: LogisticRegression):
        self._features = features
        self._model = model
        self.intents: list[str] = [str(label) for label in model.classes_]

    @classmethod
    def train(cls, texts: Sequence[str], labels: Sequence[str]) -> IntentClassifier:
        features = FeatureUnion([
            ("words", TfidfVectorizer(
                analyzer="word", ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b",
                sublinear_tf=True, lowercase=True, dtype=np.float32)),
            ("chars", TfidfVectorizer(
                analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, lowercase=True,
                dtype=np.float32)),
        ])
        matrix = features.fit_transform(texts)
        model = LogisticRegression(C=20.0, max_iter=2000)
        model.fit(matrix, labels)
        return cls(features, model)

    def rank(self, text: str) -> list[tuple[str, float]] | None:
        """(intent, probability), likeliest first; None when no feature of `text` is known."""
        matrix = self._features.transform([text])
        if matrix.nnz == 0:
            return None
        probabilities = self._model.predict_proba(matrix)[0]
        order = np.argsort(-probabilities)
        return [(self.intents[i], float(probabilities[i])) for i in order]

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [str(label) for label in self._model.predict(self._features.transform(texts))]
