"""Fakes for the dialogue engine's tests: a keyword interpreter instead of the trained NLU, and
an engine built on it over a test database."""

from __future__ import annotations

import random
import re

from dialogs.engine import Domain, Engine, InProcessActionRunner, TrackerStore, load_rules
from dialogs.engine.domain import DATA_DIR
from dialogs.engine.sealing import SlotSealer
from services.persistence.database import make_session_factory
from services.persistence.unit_of_work import UnitOfWork

# First match wins; a message matching nothing is "unsure" and gets the suggestions below.
KEYWORDS = [
    (r"\bremind", "reminder_settings"),
    (r"\bdue\b", "check_balance"),
    (r"\bcancel\b|\bstop\b", "cancel"),
    (r"\bhelp\b", "help"),
    (r"^(hi|hello|hola)\b", "greet"),
    (r"\bthanks?\b", "thank"),
    (r"\bbye\b", "goodbye"),
    (r"^(yes|yep|sure)\b", "affirm"),
    (r"^(no|nope)\b", "deny"),
    (r"\bpay\b", "make_payment"),
    (r"\blog ?in\b", "log_in"),
    (r"\bweather\b", "out_of_scope"),
    (r"\d", "inform"),
]
UNSURE_SUGGESTIONS = ["make_payment", "check_balance", "inform"]
_DAYS_ENTITY = re.compile(r"\d+ days?")


class KeywordInterpreter:
    """Knows intents by keyword; counts what it was asked, so tests can tell it was skipped."""

    def __init__(self):
        self.parsed: list[str] = []

    def parse(self, text: str, *, today=None, language=None) -> dict:
        self.parsed.append(text)
        intent, confidence = next(((name, 0.95) for pattern, name in KEYWORDS
                                   if re.search(pattern, text.lower())), ("inform", 0.3))
        entities = [{"entity": "reminder_days", "value": m.group(0), "start": m.start(),
                     "end": m.end()} for m in _DAYS_ENTITY.finditer(text)]
        ranking = [{"name": intent, "confidence": confidence}]
        return {"text": text, "intent": dict(ranking[0]), "intent_ranking": ranking,
                "entities": entities if intent == "reminder_settings" else []}

    def suggestions(self, parse: dict, n: int = 3) -> list[str] | None:
        return None if parse["intent"]["confidence"] >= 0.5 else UNSURE_SUGGESTIONS[:n]


def tracker_store(db_engine, **kwargs) -> TrackerStore:
    session_factory = make_session_factory(db_engine)
    return TrackerStore(lambda: UnitOfWork(session_factory), **kwargs)


def build_engine(db_engine, *, clock, interpreter=None, runner=None, domain: Domain | None = None,
                 rules=None, seed: int = 7, store: TrackerStore | None = None,
                 rng: random.Random | None = None,
                 sealer: SlotSealer | None = None, **options) -> Engine:
    """The engine on data/ (or the given domain and rules) with in-process actions;
    `options`: Engine's other keyword arguments."""
    return Engine(
        domain or Domain.load(),
        rules if rules is not None else load_rules(DATA_DIR / "rules.yml"),
        interpreter or KeywordInterpreter(),
        store or tracker_store(db_engine),
        runner or InProcessActionRunner(),
        clock=clock,
        today=lambda: clock.now().date(),
        rng=rng or random.Random(seed),
        sealer=sealer,
        **options,
    )


class FirstVariation(random.Random):
    """Always the first variation of a response: replies that do not depend on how many
    responses an engine has rendered before."""

    def choice(self, seq):
        return seq[0]


def texts(result) -> list[str]:
    return [message.text for message in result.messages]
