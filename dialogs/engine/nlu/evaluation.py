"""How well the NLU does: on a held-out test file, or by cross-validation on the training data.

The numbers are the ones Rasa's `rasa test nlu` reports for intents: accuracy, macro F1, a
per-intent table and the pairs most often confused; and how often the fallback (offering the
likeliest intents as buttons) would step in, for right and for wrong answers. Entities are
scored by exact span and type, for the entity types the test file annotates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from sklearn.metrics import accuracy_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold

from dialogs.engine.nlu.classifier import IntentClassifier
from dialogs.engine.nlu.entities import EntityExtractor
from dialogs.engine.nlu.interpreter import (
    AMBIGUITY_MARGIN,
    CONFIDENCE_THRESHOLD,
    NluInterpreter,
    is_unsure,
    rank_intents,
    training_text,
)
from dialogs.engine.nlu.training_data import Example, NluData

Ranking = Sequence[tuple[str, float]]


@dataclass(frozen=True)
class IntentScore:
    intent: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class EntityScore:
    entity: str
    precision: float
    recall: float
    support: int


@dataclass(frozen=True)
class FallbackRates:
    threshold: float
    margin: float
    when_right: float  # share of right answers the engine would ask about anyway
    when_wrong: float  # share of wrong answers it would ask about instead of acting


@dataclass(frozen=True)
class EvaluationReport:
    examples: int
    accuracy: float
    macro_f1: float
    intents: list[IntentScore]
    confusions: list[tuple[str, str, int]]  # (true, predicted, count), commonest first
    errors: list[tuple[str, str, str]]  # (text, true, predicted)
    fallback: FallbackRates
    entities: list[EntityScore]


def evaluate(interpreter: NluInterpreter, examples: Sequence[Example],
             language: str | None = None) -> EvaluationReport:
    """`language`: the members' language the examples are in, as the engine passes it."""
    parses = [interpreter.parse(example.text, language=language) for example in examples]
    rankings = [[(r["name"], r["confidence"]) for r in p["intent_ranking"]] for p in parses]
    report = score_intents(
        [e.text for e in examples], [e.intent for e in examples], rankings,
        threshold=interpreter.confidence_threshold, margin=interpreter.ambiguity_margin,
    )
    return replace(report, entities=score_entities(examples, [p["entities"] for p in parses]))


def cross_validate(data: NluData, folds: int, *, seed: int = 0) -> EvaluationReport:
    """Stratified `folds`-fold cross-validation of the intent classifier on `data`."""
    extractor = EntityExtractor.from_data(data)
    texts = [training_text(extractor, example.text) for example in data.examples]
    labels = np.array([example.intent for example in data.examples])
    rankings: list[Ranking] = [[] for _ in texts]
    splits = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splits.split(texts, labels):
        classifier = IntentClassifier.train([texts[i] for i in train], labels[train])
        for i in test:
            rankings[i] = rank_intents(classifier, texts[i])
    return score_intents([e.text for e in data.examples], list(labels), rankings)


def score_intents(texts: Sequence[str], true: Sequence[str], rankings: Sequence[Ranking], *,
                  threshold: float = CONFIDENCE_THRESHOLD,
                  margin: float = AMBIGUITY_MARGIN) -> EvaluationReport:
    predicted = [ranking[0][0] for ranking in rankings]
    intents = sorted(set(true) | set(predicted))
    precision, recall, f1, support = precision_recall_fscore_support(
        true, predicted, labels=intents, zero_division=0
    )
    mistakes = [(text, t, p) for text, t, p in zip(texts, true, predicted, strict=True) if t != p]
    confusions = Counter((t, p) for _, t, p in mistakes).most_common()
    present = [i for i, n in enumerate(support) if n > 0]
    right = [t == p for t, p in zip(true, predicted, strict=True)]
    unsure = [is_unsure([c for _, c in ranking[:2]], threshold, margin) for ranking in rankings]
    return EvaluationReport(
        examples=len(true),
        accuracy=float(accuracy_score(true, predicted)),
        macro_f1=float(np.mean([f1[i] for i in present])) if present else 0.0,
        intents=[IntentScore(intents[i], float(precision[i]), float(recall[i]), float(f1[i]),
                             int(support[i])) for i in present],
        confusions=[(t, p, n) for (t, p), n in confusions],
        errors=mistakes,
        fallback=FallbackRates(threshold, margin, _share(unsure, right, True),
                               _share(unsure, right, False)),
        entities=[],
    )


def _share(unsure: Sequence[bool], right: Sequence[bool], outcome: bool) -> float:
    chosen = [u for u, r in zip(unsure, right, strict=True) if r == outcome]
    return sum(chosen) / len(chosen) if chosen else 0.0


def score_entities(examples: Sequence[Example],
                   extracted: Sequence[list[dict]]) -> list[EntityScore]:
    """Exact (type, start, end) matches, for each entity type the examples annotate."""
    scores = []
    for entity in sorted({a.entity for e in examples for a in e.entities}):
        expected = {(i, a.start, a.end) for i, e in enumerate(examples)
                    for a in e.entities if a.entity == entity}
        found = {(i, x["start"], x["end"]) for i, xs in enumerate(extracted)
                 for x in xs if x["entity"] == entity}
        hits = len(expected & found)
        scores.append(EntityScore(entity, hits / len(found) if found else 0.0,
                                  hits / len(expected), len(expected)))
    return scores


def format_report(report: EvaluationReport, *, title: str, show_errors: int = 10) -> str:
    width = max([len("intent"), *(len(s.intent) for s in report.intents)])
    fallback = report.fallback
    lines = [
        title,
        f"accuracy  {report.accuracy:.4f}  ({report.examples} examples)",
        f"macro F1  {report.macro_f1:.4f}",
        f"fallback  (confidence < {fallback.threshold:.2f} or margin < {fallback.margin:.2f}) "
        f"offers choices for {fallback.when_right:.1%} of right answers and "
        f"{fallback.when_wrong:.1%} of wrong ones",
        "",
        f"{'intent':<{width}}  precision  recall     f1  support",
    ]
    lines += [f"{s.intent:<{width}}  {s.precision:9.3f}  {s.recall:6.3f}  {s.f1:5.3f}"
              f"  {s.support:7d}" for s in report.intents]
    if report.entities:
        lines += ["", f"{'entity':<{width}}  precision  recall  support"]
        lines += [f"{s.entity:<{width}}  {s.precision:9.3f}  {s.recall:6.3f}  {s.support:7d}"
                  for s in report.entities]
    lines += ["", "most confused (true -> predicted: count)"]
    lines += [f"  {t} -> {p}: {n}" for t, p, n in report.confusions[:10]] or ["  none"]
    if show_errors and report.errors:
        lines += ["", f"misclassified (first {min(show_errors, len(report.errors))})"]
        lines += [f"  {text!r}: {t} -> {p}" for text, t, p in report.errors[:show_errors]]
    return "\n".join(lines)
