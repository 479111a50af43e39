"""The NLU the engine calls: text in, Rasa's parse format out.

Trained at start-up from data/nlu.yml and cached on disk under a hash of that file, this code's
version and the scikit-learn version, so a restart with unchanged data loads in milliseconds
and any change retrains. Card numbers are redacted before anything else looks at a message;
the cache holds only what the training file holds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import pickle
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sklearn

from dialogs.engine.nlu.classifier import IntentClassifier, featurize_text
from dialogs.engine.nlu.entities import EntityExtractor
from dialogs.engine.nlu.redaction import redact_card_numbers
from dialogs.engine.nlu.training_data import NluData, load_nlu_data

log = logging.getLogger(__name__)

# Bump when featurizing, extraction or the model change, so old caches are not reused.
CODE_VERSION = "1"
DEFAULT_NLU_PATH = Path(__file__).resolve().parents[3] / "data" / "nlu.yml"
DEFAULT_CACHE_DIR = Path("var/cache/nlu")
EXCHANGE_TIME_ZONE = ZoneInfo("America/New_York")
OUT_OF_SCOPE = "out_of_scope"
CONFIDENCE_THRESHOLD = 0.45
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


def train_nlu(data: NluData) -> TrainedNlu:
    extractor = EntityExtractor(data)
    texts = [training_text(extractor, example.text) for example in data.examples]
    classifier = IntentClassifier.train(texts, [example.intent for example in data.examples])
    return TrainedNlu(extractor, classifier)


def training_text(extractor: EntityExtractor, text: str) -> str:
    clean = redact_card_numbers(text).translate(_CONTROL_TO_SPACE)
    return featurize_text(clean, extractor.entity_spans(clean, _TRAINING_DAY))


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
    def load(cls, nlu_path: Path = DEFAULT_NLU_PATH,
             cache_dir: Path = DEFAULT_CACHE_DIR) -> NluInterpreter:
        """Load the model cached for this exact training file, or train and cache it."""
        content = Path(nlu_path).read_bytes()
        cache_file = Path(cache_dir) / f"nlu-{cache_key(content)[:24]}.pkl"
        trained = _read_cache(cache_file)
        if trained is not None:
            return cls(trained, loaded_from_cache=True, cache_file=cache_file)
        trained = train_nlu(load_nlu_data(nlu_path))
        _write_cache(cache_file, trained)
        return cls(trained, loaded_from_cache=False, cache_file=cache_file)

    @classmethod
    def from_data(cls, data: NluData) -> NluInterpreter:
        """Trained in memory, cached nowhere (evaluation, tests)."""
        return cls(train_nlu(data))

    @property
    def intents(self) -> list[str]:
        return list(self._classifier.intents)

    def parse(self, text: str, *, today: dt.date | None = None) -> dict[str, Any]:
        """Rasa's parse format. `text` comes back with card numbers redacted, and entity
        offsets index that returned text."""
        text = redact_card_numbers(text if isinstance(text, str) else "")
        clean = text.translate(_CONTROL_TO_SPACE)
        entities = self._extractor.extract(clean, today or exchange_today())
        ranking = None
        if clean.strip():
            spans = [(e["entity"], e["start"], e["end"]) for e in entities]
            ranking = self._classifier.rank(featurize_text(clean, spans))
        if ranking is None:  # nothing the model has ever seen: not a guess worth making
            ranking = [(OUT_OF_SCOPE, 1.0)]
        top = [{"name": name, "confidence": confidence}
               for name, confidence in ranking[:RANKING_LENGTH]]
        return {"text": text, "intent": dict(top[0]), "intent_ranking": top,
                "entities": entities}

    def suggestions(self, parse: dict[str, Any], n: int = 3) -> list[str] | None:
        """The likeliest intents to offer as buttons when the parse is too unsure to act on
        (low confidence, or a close second); None when the engine may act on the intent."""
        ranking = parse.get("intent_ranking") or [parse["intent"]]
        first = ranking[0]["confidence"]
        second = ranking[1]["confidence"] if len(ranking) > 1 else 0.0
        if first >= self.confidence_threshold and first - second >= self.ambiguity_margin:
            return None
        names = [r["name"] for r in ranking if r["name"] != OUT_OF_SCOPE][:n]
        return names or None


def cache_key(nlu_content: bytes) -> str:
    digest = hashlib.sha256()
    for part in (CODE_VERSION.encode(), sklearn.__version__.encode(), nlu_content):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def _read_cache(cache_file: Path) -> TrainedNlu | None:
    if not cache_file.is_file():
        return None
    try:
        with cache_file.open("rb") as stream:
            trained = pickle.load(stream)
    # A truncated or foreign file must not stop the bot from starting: retrain instead.
    except Exception:  # noqa: BLE001
        log.warning("NLU cache %s is unreadable; retraining", cache_file, exc_info=True)
        return None
    return trained if isinstance(trained, TrainedNlu) else None


def _write_cache(cache_file: Path, trained: TrainedNlu) -> None:
    """Atomically, so a worker starting at the same time never reads half a file."""
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=cache_file.parent, prefix=".nlu-", delete=False) as tmp:
        pickle.dump(trained, tmp, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp.name, cache_file)
    for stale in cache_file.parent.glob("nlu-*.pkl"):
        if stale != cache_file:
            stale.unlink(missing_ok=True)
