"""Intent classification: TF-IDF word and character n-grams with a linear SVM.

Character n-grams make "premim", "ballance" and "autopy" look like what they misspell; word
bigrams keep "cancel autopay" apart from "cancel". Words after a negation are marked ("i can't
log in" has `not_log`), which is most of what separates login_problem from log_in and "i don't
want autopay" from "i want autopay". Amounts, dates, references and member ids are replaced by
one token per entity type before featurizing, so "pay $85.50" and "pay $120" are the same
sentence to the model and no particular value is learned (or stored in the cache).

scikit-learn trains the model; what is kept is plain arrays (vocabularies, idf weights, the
SVM's coefficients), scored here with numpy. So a cached start needs no scikit-learn, the
cache is arrays rather than a pickle, and one parse costs microseconds instead of the
milliseconds scikit-learn's per-call input checks take. Confidences are a softmax of the SVM's
scores at one temperature fitted on held-out folds (temperature scaling).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from dialogs.engine.nlu.entities import BUILTIN_ENTITIES
from dialogs.engine.nlu.redaction import CARD_PLACEHOLDER

# One made-up word per entity type: nothing a member types collides with it.
_PLACEHOLDERS = {name: f" zz{name.replace('_', '')}zz " for name in BUILTIN_ENTITIES}
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
# The model only needs the gist: a member's first few sentences say what they want.
MAX_CLASSIFIED_CHARS = 500

_WORD_OR_STOP = re.compile(r"\w+|[.,!?;:]")
_NEGATIONS = frozenset({
    "not", "no", "never", "dont", "cant", "cannot", "wont", "unable", "doesnt", "isnt", "didnt",
    "nothing", "nope", "nah", "aint", "havent", "hasnt", "couldnt", "wouldnt", "shouldnt",
})
_NEGATION_SCOPE = 3  # words; a punctuation mark ends it sooner
_CHAR_NGRAMS = range(2, 6)
_BLOCK_WEIGHTS = {"words": 1.0, "chars": 1.5}
_SVM_C = 1.0
_CALIBRATION_FOLDS = 3


def featurize_text(text: str, spans: Iterable[tuple[str, int, int]]) -> str:
    """The text the model sees: entity values swapped for their type, apostrophes unified."""
    pieces, cursor = [], 0
    for entity, start, end in sorted(spans, key=lambda span: span[1]):
        if entity in _PLACEHOLDERS:
            pieces += [text[cursor:start], _PLACEHOLDERS[entity]]
            cursor = end
    pieces.append(text[cursor:])
    text = "".join(pieces).replace(CARD_PLACEHOLDER, " ")
    return text[:MAX_CLASSIFIED_CHARS].translate(_APOSTROPHES)


def mark_negation(text: str) -> str:
    """'I can't log in, help' -> 'i cant not_log not_in help'."""
    words, scope = [], 0
    for token in _WORD_OR_STOP.findall(text.lower().replace("'", "")):
        if not token[0].isalnum() and token[0] != "_":
            scope = 0
        elif token in _NEGATIONS:
            words.append(token)
            scope = _NEGATION_SCOPE
        else:
            words.append(f"not_{token}" if scope else token)
            scope = max(0, scope - 1)
    return " ".join(words)


def word_features(text: str) -> list[str]:
    """Words (negation-marked) and word pairs."""
    words = mark_negation(text).split()
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


def char_features(text: str) -> list[str]:
    """Character 2- to 5-grams inside space-padded words, as scikit-learn's `char_wb`."""
    grams = []
    for word in text.lower().split():
        padded = f" {word} "
        for n in _CHAR_NGRAMS:
            grams += [padded[i:i + n] for i in range(max(1, len(padded) - n + 1))]
            if len(padded) <= n:  # a short word counts once, not once per n
                break
    return grams


_ANALYZERS = {"words": word_features, "chars": char_features}


@dataclass(frozen=True)
class _Block:
    vocabulary: dict[str, int]
    idf: np.ndarray
    offset: int


class IntentClassifier:
    """A trained linear model over TF-IDF features, as plain data."""

    def __init__(self, intents: Sequence[str], vocabularies: dict[str, Sequence[str]],
                 idf: dict[str, np.ndarray], coefficients: np.ndarray, intercept: np.ndarray,
                 temperature: float):
        self.intents = [str(intent) for intent in intents]
        self.temperature = float(temperature)
        self._blocks: dict[str, _Block] = {}
        offset = 0
        for name in _ANALYZERS:
            terms = [str(term) for term in vocabularies[name]]
            self._blocks[name] = _Block({t: i for i, t in enumerate(terms)},
                                        np.asarray(idf[name], dtype=np.float64), offset)
            offset += len(terms)
        self._weights = np.ascontiguousarray(coefficients, dtype=np.float64)  # features x intents
        self._intercept = np.asarray(intercept, dtype=np.float64)

    @classmethod
    def train(cls, texts: Sequence[str], labels: Sequence[str]) -> IntentClassifier:
        features, svm = fit_features_and_svm(texts, labels)
        temperature = _fit_temperature(features.transform(texts), np.asarray(labels),
                                       svm.classes_)
        return cls.from_fitted(features, svm, temperature)

    @classmethod
    def from_fitted(cls, features, svm, temperature: float) -> IntentClassifier:
        """From scikit-learn's fitted FeatureUnion and LinearSVC."""
        vectorizers = dict(features.transformer_list)
        vocabularies = {name: sorted(v.vocabulary_, key=v.vocabulary_.get)
                        for name, v in vectorizers.items()}
        return cls(svm.classes_, vocabularies, {n: v.idf_ for n, v in vectorizers.items()},
                   svm.coef_.T, svm.intercept_, temperature)

    def rank(self, text: str) -> list[tuple[str, float]] | None:
        """(intent, probability), likeliest first; None when no feature of `text` is known."""
        scores = self.decision(text)
        if scores is None:
            return None
        scaled = scores / self.temperature
        probabilities = np.exp(scaled - scaled.max())
        probabilities /= probabilities.sum()
        order = np.argsort(-probabilities, kind="stable")
        return [(self.intents[i], float(probabilities[i])) for i in order]

    def decision(self, text: str) -> np.ndarray | None:
        """The SVM's score per intent, as scikit-learn would compute it."""
        columns: list[np.ndarray] = []
        values: list[np.ndarray] = []
        for name, analyze in _ANALYZERS.items():
            block = self._blocks[name]
            counts = Counter(i for i in map(block.vocabulary.get, analyze(text)) if i is not None)
            if not counts:
                continue
            ids = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tfidf = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64))) * block.idf[ids]
            columns.append(ids + block.offset)
            values.append(tfidf * (_BLOCK_WEIGHTS[name] / np.linalg.norm(tfidf)))
        if not columns:
            return None
        return np.concatenate(values) @ self._weights[np.concatenate(columns)] + self._intercept

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Everything the model is, as arrays `numpy.savez` stores without pickling (texts as
        JSON, which keeps every character of an n-gram, padding spaces included)."""
        arrays = {"intents": _json_array(self.intents),
                  "temperature": np.array(self.temperature),
                  "coefficients": self._weights, "intercept": self._intercept}
        for name, block in self._blocks.items():
            arrays[f"{name}_vocabulary"] = _json_array(list(block.vocabulary))
            arrays[f"{name}_idf"] = block.idf
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> IntentClassifier:
        return cls(json.loads(str(arrays["intents"])),
                   {name: json.loads(str(arrays[f"{name}_vocabulary"])) for name in _ANALYZERS},
                   {name: arrays[f"{name}_idf"] for name in _ANALYZERS},
                   arrays["coefficients"], arrays["intercept"], float(arrays["temperature"]))


def _json_array(value: object) -> np.ndarray:
    return np.array(json.dumps(value))


def fit_features_and_svm(texts: Sequence[str], labels: Sequence[str]):
    """scikit-learn's TF-IDF features and linear SVM, fitted: (FeatureUnion, LinearSVC)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion
    from sklearn.svm import LinearSVC

    features = FeatureUnion(
        [(name, TfidfVectorizer(analyzer=analyze, sublinear_tf=True))
         for name, analyze in _ANALYZERS.items()],
        transformer_weights=_BLOCK_WEIGHTS,
    )
    svm = LinearSVC(C=_SVM_C).fit(features.fit_transform(texts), labels)
    return features, svm


def _fit_temperature(matrix, labels: np.ndarray, classes: np.ndarray) -> float:
    """The softmax temperature that best predicts held-out labels from held-out SVM scores."""
    from scipy.optimize import minimize_scalar
    from scipy.special import log_softmax
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.svm import LinearSVC

    folds = min(_CALIBRATION_FOLDS, int(np.unique(labels, return_counts=True)[1].min()))
    if folds < 2:
        return 1.0
    scores = cross_val_predict(
        LinearSVC(C=_SVM_C), matrix, labels, method="decision_function",
        cv=StratifiedKFold(folds, shuffle=True, random_state=0),
    )
    truth = np.searchsorted(classes, labels)

    def negative_log_likelihood(temperature: float) -> float:
        return -float(log_softmax(scores / temperature, axis=1)[np.arange(len(truth)), truth].sum())

    return float(minimize_scalar(negative_log_likelihood, bounds=(0.01, 10.0),
                                 method="bounded").x)
