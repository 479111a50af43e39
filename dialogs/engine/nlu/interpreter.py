"""The NLU the engine calls: text in, Rasa's parse format out.

Trained at start-up from data/nlu.yml and cached on disk under a hash of that file, this
package's code and the scikit-learn version, so a restart with nothing changed loads in
milliseconds and any change retrains. Card numbers are redacted before anything else looks at
a message; the cache holds only what the training file holds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

import numpy as np

from dialogs.engine.nlu.classifier import IntentClassifier, featurize_text
from dialogs.engine.nlu.entities import EntityExtractor
from dialogs.engine.nlu.main_request import request_parts, without_politeness
from dialogs.engine.nlu.redaction import redact_card_numbers
from dialogs.engine.nlu.training_data import NluData, load_nlu_data, merge_nlu_data
from services import language_words

log = logging.getLogger(__name__)

DEFAULT_NLU_PATH = Path(__file__).resolve().parents[3] / "data" / "nlu.yml"
DEFAULT_CACHE_DIR = Path("var/cache/nlu")
EXCHANGE_TIME_ZONE = ZoneInfo("America/New_York")
OUT_OF_SCOPE = "out_of_scope"
PAYMENT_MISSING = "payment_missing"
INFORM = "inform"
FAQ_TOPIC = "faq_topic"  # the entity naming a question data/answers.yml answers
# Intents that are not a request: a message read as one of these may hold one in a part.
SMALL_TALK = frozenset({"greet", "thank", "goodbye", OUT_OF_SCOPE})
# When to offer choices instead of acting. In 5-fold cross-validation on data/nlu.yml, 0.7
# offers choices for about 3% of the messages the model gets right and for nearly half of those
# it gets wrong (`healthpay nlu evaluate --cross-validate 5` prints the current figures). The
# margin matters only for a threshold below 0.55: above, a close second can't happen.
CONFIDENCE_THRESHOLD = 0.70
AMBIGUITY_MARGIN = 0.10
RANKING_LENGTH = 10
# Entity spans are the same whatever day it is; training resolves dates against a fixed one.
_TRAINING_DAY = dt.date(2026, 1, 1)
# Control characters become spaces, one for one, so entity offsets still index the text.
_CONTROL_TO_SPACE = {code: " " for code in [*range(0x00, 0x20), *range(0x7F, 0xA0)]}


@dataclass(frozen=True)
class TrainedNlu:
    """What the cache holds."""

    extractor: EntityExtractor
    classifier: IntentClassifier

    def save(self, stream: BinaryIO) -> None:
        arrays = self.classifier.to_arrays()
        np.savez(stream, entities=np.array(json.dumps(self.extractor.config)), **arrays)

    @classmethod
    def load(cls, path: Path) -> TrainedNlu:
        with np.load(path, allow_pickle=False) as arrays:
            return cls(EntityExtractor(**json.loads(str(arrays["entities"]))),
                       IntentClassifier.from_arrays(arrays))


def train_nlu(data: NluData, languages: Sequence[str | None] = ()) -> TrainedNlu:
    """`languages`: each example's language, when known (its entities are found as a member
    writing in it would have them found)."""
    extractor = EntityExtractor.from_data(data)
    languages = list(languages) or [None] * len(data.examples)
    texts = [training_text(extractor, example.text, language)
             for example, language in zip(data.examples, languages, strict=True)]
    classifier = IntentClassifier.train(texts, [example.intent for example in data.examples])
    return TrainedNlu(extractor, classifier)


def training_text(extractor: EntityExtractor, text: str, language: str | None = None) -> str:
    clean = redact_card_numbers(text).translate(_CONTROL_TO_SPACE)
    return featurize_text(clean, extractor.entity_spans(clean, _TRAINING_DAY, language))


def rank_intents(classifier: IntentClassifier, featurized: str) -> list[tuple[str, float]]:
    """The classifier's ranking, or out_of_scope for a text with nothing the model has ever
    seen (empty, emoji, an unknown script): no guess is worth making there."""
    ranking = classifier.rank(featurized) if featurized.strip() else None
    return ranking or [(OUT_OF_SCOPE, 1.0)]


def exchange_today() -> dt.date:
    return dt.datetime.now(EXCHANGE_TIME_ZONE).date()


class NluInterpreter:
    def __init__(self, trained: TrainedNlu, *, loaded_from_cache: bool = False,
                 cache_file: Path | None = None,
                 confidence_threshold: float = CONFIDENCE_THRESHOLD,
                 ambiguity_margin: float = AMBIGUITY_MARGIN):
        self._extractor = trained.extractor
        self._classifier = trained.classifier
        self.loaded_from_cache = loaded_from_cache
        self.cache_file = cache_file
        self.confidence_threshold = confidence_threshold
        self.ambiguity_margin = ambiguity_margin

    @classmethod
    def load(cls, nlu_path: Path = DEFAULT_NLU_PATH, cache_dir: Path | None = None, *,
             confidence_threshold: float = CONFIDENCE_THRESHOLD,
             ambiguity_margin: float = AMBIGUITY_MARGIN,
             extra_nlu_paths: Sequence[Path] = ()) -> NluInterpreter:
        """Load the model cached for these exact training files, or train and cache it.
        `extra_nlu_paths`: more nlu.yml files trained with the first (other languages)."""
        paths = [Path(nlu_path), *map(Path, extra_nlu_paths)]
        # The languages' words shape the entities the model is trained around.
        content = b"\0".join([*(path.read_bytes() for path in paths),
                               language_words.fingerprint()])
        cache_file = Path(cache_dir or DEFAULT_CACHE_DIR) / f"nlu-{cache_key(content)[:24]}.npz"
        trained = _read_cache(cache_file)
        from_cache = trained is not None
        if trained is None:
            parts = [load_nlu_data(path) for path in paths]
            # A language folder's examples (data/languages/<code>/nlu.yml) are in its language.
            languages = [_language_of(path) for path, part in zip(paths, parts, strict=True)
                         for _ in part.examples]
            trained = train_nlu(merge_nlu_data(parts), languages)
            _write_cache(cache_file, trained)
        return cls(trained, loaded_from_cache=from_cache, cache_file=cache_file,
                   confidence_threshold=confidence_threshold, ambiguity_margin=ambiguity_margin)

    @property
    def intents(self) -> list[str]:
        return list(self._classifier.intents)

    def parse(self, text: str, today: dt.date | None = None,
              language: str | None = None) -> dict[str, Any]:
        """Rasa's parse format. `text` comes back with card numbers redacted, and entity
        offsets index that returned text. `language`: the member's, for the words of amounts
        and dates ("cien dolares", "el proximo viernes"); English is read whatever it is."""
        text = redact_card_numbers(text if isinstance(text, str) else "")
        clean = text.translate(_CONTROL_TO_SPACE)
        entities = self._extractor.extract(clean, today or exchange_today(), language)
        spans = [(e["entity"], e["start"], e["end"]) for e in entities]
        ranking = self._main_request(clean, spans)
        if _only_a_reference(clean, entities) or (
                (ranking[0][0] == INFORM or self.is_unsure([c for _, c in ranking[:2]]))
                and any(e["entity"] == "payment_reference" for e in entities)):
            # A reference on its own line, or in a message that asks nothing clearer ("what
            # about hc-...") asks where that payment is: the payment-missing question with
            # its answer already given.
            ranking = [(PAYMENT_MISSING, 1.0)] + [(name, 0.0) for name, _ in ranking
                                                  if name != PAYMENT_MISSING]
        top = [{"name": name, "confidence": confidence}
               for name, confidence in ranking[:RANKING_LENGTH]]
        return {"text": text, "intent": dict(top[0]), "intent_ranking": top,
                "entities": entities}

    def _main_request(self, text: str, spans: list[tuple[str, int, int]]
                      ) -> list[tuple[str, float]]:
        """The ranking for the message's main request. When the whole message reads as small
        talk, out of scope or too unsure, a part of it that asks something clearly wins: the
        question at the end of a long story, the request before a "thanks"."""
        whole = rank_intents(self._classifier, featurize_text(text, spans))
        sure = not self.is_unsure([c for _, c in whole[:2]])
        if whole[0][0] not in SMALL_TALK and sure:
            return whole
        # Against a confident reading of the whole, a part has to be surer still.
        best, bar = whole, whole[0][1] if sure else 0.0
        core = without_politeness(text)
        for start, end in request_parts(text):
            if sure and len(text[start:end].split()) < 2 and (start, end) != core:
                continue  # "thank you so so much": a lone word cut out is no request
            inside = [(name, s - start, e - start) for name, s, e in spans
                      if s >= start and e <= end]
            ranked = rank_intents(self._classifier, featurize_text(text[start:end], inside))
            if (ranked[0][0] not in SMALL_TALK and not self.is_unsure([c for _, c in ranked[:2]])
                    and ranked[0][1] > bar):
                best, bar = ranked, ranked[0][1]
        return best

    def suggestions(self, parse: dict[str, Any], n: int = 3) -> list[str] | None:
        """The likeliest intents to offer as buttons when the parse is too unsure to act on
        (low confidence, or a close second); None when the engine may act on the intent."""
        ranking = parse.get("intent_ranking") or [parse["intent"]]
        if not self.is_unsure([r["confidence"] for r in ranking[:2]]):
            return None
        if any(e.get("entity") == FAQ_TOPIC for e in parse.get("entities") or ()):
            # A message that names a question ("is dental a separate bill") gets its answer
            # whichever intent it looked like (data/rules.yml): nothing to choose between.
            return None
        names = [r["name"] for r in ranking if r["name"] != OUT_OF_SCOPE][:n]
        return names or None

    def is_unsure(self, confidences: Sequence[float]) -> bool:
        return is_unsure(confidences, self.confidence_threshold, self.ambiguity_margin)


def _language_of(path: Path) -> str | None:
    """The language of a language folder's nlu.yml; None for data/nlu.yml."""
    code = path.parent.name
    return code if language_words.words(code) else None


_REFERENCE_FILLER = re.compile(r"^(?:(?:it'?s|its|ref(?:erence)?|number|no\.?|#)\W*)*$", re.I)


def _only_a_reference(text: str, entities: list[dict[str, Any]]) -> bool:
    references = [e for e in entities if e["entity"] == "payment_reference"]
    if len(references) != 1:
        return False
    found = references[0]
    rest = (text[:found["start"]] + " " + text[found["end"]:]).strip()
    return bool(_REFERENCE_FILLER.match(rest.strip(" .,:;!?")))


def is_unsure(confidences: Sequence[float], threshold: float = CONFIDENCE_THRESHOLD,
              margin: float = AMBIGUITY_MARGIN) -> bool:
    """Whether the top confidences (likeliest first) are too low or too close to act on."""
    first, second = ([*confidences[:2]] + [0.0, 0.0])[:2]
    return first < threshold or first - second < margin


def cache_key(nlu_content: bytes) -> str:
    """The training data, this package's code and the library versions that shaped the model:
    a change to any of them trains afresh instead of loading a model that no longer fits."""
    code = b"".join(path.read_bytes() for path in sorted(Path(__file__).parent.glob("*.py")))
    versions = f"{sys.version_info[:2]} scikit-learn {version('scikit-learn')}".encode()
    digest = hashlib.sha256()
    for part in (nlu_content, code, versions):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def _read_cache(cache_file: Path) -> TrainedNlu | None:
    if not cache_file.is_file():
        return None
    try:
        return TrainedNlu.load(cache_file)
    # A truncated or foreign file must not stop the bot from starting: retrain instead.
    except Exception:  # noqa: BLE001
        log.warning("NLU cache %s is unreadable; retraining", cache_file, exc_info=True)
        return None


def _write_cache(cache_file: Path, trained: TrainedNlu) -> None:
    """Atomically, so a worker starting at the same time never reads half a file."""
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=cache_file.parent, prefix=".nlu-", delete=False) as tmp:
        trained.save(tmp)
    os.replace(tmp.name, cache_file)
    for stale in cache_file.parent.glob("nlu-*.npz"):
        if stale != cache_file:
            stale.unlink(missing_ok=True)
