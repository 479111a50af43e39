"""Reading a message at a form's prompt: is it the answer, or something else?

The NLU is trained on requests, not on answers: "Biscuit" may read as *cancel*, "alex" as a
greeting, "questions about premiums" as anything. So at a prompt the expected answer's shape
decides first (data/prompt_answers.yml):

- at a secret prompt (a sensitive slot) everything is the answer, except the Cancel button or an
  exact cancel word; the NLU never sees the secret;
- anywhere, a message that is exactly an escape word ("cancel", "help") means that;
- a message that is the title of a button just offered, or of an item of the help menu (typos
  tolerated), is that button;
- a message that fits the shape of the answer asked for is the answer (intent `inform`);
- anything else goes to the NLU. Its free text fills a shaped answer only when the NLU read it
  as an answer (`inform`, not sure, yes/no), not as a question or another request; a cancel
  word inside such an answer ("nah cancel that") cancels.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process, utils

from dialogs.engine.domain import NLU_FALLBACK_INTENT, REQUESTED_SLOT
from dialogs.engine.payloads import parse_payload
from dialogs.engine.tracker import Tracker

CANCEL_INTENT = "cancel"
ANSWER_INTENT = "inform"
# What the NLU says of a message that is an attempt at an answer, not a request of its own.
ANSWER_INTENTS = frozenset({ANSWER_INTENT, NLU_FALLBACK_INTENT, "affirm", "deny", "out_of_scope"})
# A typed title chooses a button when it scores this much (rapidfuzz, 0-100) and clearly more
# than the next button; short texts must match exactly, a typo there is another word.
TITLE_SCORE = 85
TITLE_MARGIN = 5
FUZZY_MIN_LENGTH = 4
_QUESTION_WORDS = frozenset({"what", "whats", "what's", "which", "how", "hows", "how's", "why",
                             "when", "where", "who", "can", "could", "do", "does", "did", "is",
                             "are", "will", "should", "would", "may"})
_USERNAME = re.compile(r"^[a-z0-9._-]{1,64}$", re.IGNORECASE)
_AMOUNT = re.compile(r"^\s*(?:usd)?\s*[-+]?\s*\$?\s*[-+]?\d[\d,]*(?:\.\d*)?\s*"
                     r"(?:dollars?|bucks|usd)?\s*$|^\s*\$?\s*\.\d+\s*$", re.IGNORECASE)
_PHONE = re.compile(r"^\s*\+?[\d\s().-]{7,20}\s*$")
_EMAIL = re.compile(r"^\s*[^\s@]+@[^\s@]+\.[^\s@]+\s*$")
_WORD = re.compile(r"[\w']+")


@dataclass(frozen=True)
class PromptRules:
    """data/prompt_answers.yml, read."""

    escape_words: dict[str, frozenset[str]] = field(default_factory=dict)  # intent -> words
    shapes: dict[str, str] = field(default_factory=dict)  # slot -> shape
    not_answers: frozenset[str] = frozenset()  # one-word commands, never a username or choice
    question_entities: frozenset[str] = frozenset()

    @classmethod
    def load(cls, path: Path | str) -> PromptRules:
        raw = yaml.safe_load(Path(path).read_text()) or {}
        return cls(
            escape_words={intent: frozenset(_normal(w) for w in words)
                          for intent, words in (raw.get("escape_words") or {}).items()},
            shapes=dict(raw.get("shapes") or {}),
            not_answers=frozenset(_normal(w) for w in raw.get("not_answers") or ()),
            question_entities=frozenset(raw.get("question_entities") or ()),
        )

    def escape_intent(self, text: str, *, secret: bool) -> str | None:
        words = _normal(text)
        for intent, escapes in self.escape_words.items():
            if words in escapes and (not secret or intent == CANCEL_INTENT):
                return intent
        return None

    def fits(self, slot: str, text: str) -> bool:
        """Whether `text` has the shape of the answer `slot` takes."""
        shape = self.shapes.get(slot)
        if shape is None or _normal(text) in self.not_answers:
            return False
        if shape == "username":
            return bool(_USERNAME.match(text.strip()))
        if shape == "amount":
            return bool(_AMOUNT.match(text))
        if shape == "contact":
            return bool(_PHONE.match(text) or _EMAIL.match(text))
        return False  # a choice fits by its button's title (PromptReader._offered_button)

    def takes_text(self, slot: str, message: dict) -> bool:
        """Whether a from_text mapping may fill `slot` (the slot asked for) with the message:
        an answer, or what the NLU read as an attempt at one, never a question or request."""
        if slot not in self.shapes:
            return True
        intent = (message.get("intent") or {}).get("name")
        if intent not in ANSWER_INTENTS:
            return False
        text = message.get("text") or ""
        if self.fits(slot, text):
            return True
        asks = any(e.get("entity") in self.question_entities
                   for e in message.get("entities") or ())
        return not asks and not looks_like_question(text)


class PromptReader:
    def __init__(self, rules: PromptRules, intents, sensitive_slots,
                 menu: Iterable[dict] = ()):
        self.rules = rules
        self._intents = intents
        self._sensitive = sensitive_slots
        # The help menu's items can be typed by title at any time, shown or not.
        self._menu = [button for button in menu
                      if button.get("title") and parse_payload(button.get("payload") or "",
                                                               intents)]

    def read(self, tracker: Tracker, text: str) -> dict | None:
        """The message in Rasa's parse format when it is decided here, None for the NLU."""
        requested = tracker.slots.get(REQUESTED_SLOT) if tracker.active_loop_name else None
        secret = requested in self._sensitive
        escape = self.rules.escape_intent(text, secret=secret)
        if escape is not None:
            return _parse(text, escape)
        if secret:
            return _parse(text, ANSWER_INTENT)
        payload = self._offered_button(tracker, text)
        if payload is None:
            payload = _button_titled(text, self._menu)
        if payload is not None:
            return {**parse_payload(payload, self._intents), "text": text}
        if requested and self.rules.fits(requested, text):
            return _parse(text, ANSWER_INTENT)
        return None

    def reconsider(self, tracker: Tracker, text: str, parse: dict) -> dict:
        """The NLU's reading, but a cancel word inside an answer at a prompt cancels."""
        if not tracker.active_loop_name:
            return parse
        intent = (parse.get("intent") or {}).get("name")
        cancels = self.rules.escape_words.get(CANCEL_INTENT, frozenset())
        if intent in ANSWER_INTENTS and _contains_any(text, cancels):
            return {**parse, "intent": {"name": CANCEL_INTENT, "confidence": 1.0},
                    "intent_ranking": [{"name": CANCEL_INTENT, "confidence": 1.0}]}
        return parse

    def _offered_button(self, tracker: Tracker, text: str) -> str | None:
        """The payload of the button just offered whose title `text` is, if one clearly is."""
        offered = [button for event in tracker.events_since_latest_user_message()
                   if event["event"] == "bot"
                   for button in (event.get("data") or {}).get("buttons") or ()
                   if button.get("title")
                   and parse_payload(button.get("payload") or "", self._intents)]
        return _button_titled(text, offered)


def _button_titled(text: str, buttons: list[dict]) -> str | None:
    """The payload of the button whose title `text` clearly is (typos tolerated), or None."""
    payloads: dict[str, str] = {}
    for button in buttons:
        payloads.setdefault(button["title"], button["payload"])
    if not payloads:
        return None
    typed = utils.default_process(text)
    for title, payload in payloads.items():
        if utils.default_process(title) == typed:
            return payload
    if len(typed) < FUZZY_MIN_LENGTH:
        return None
    best = process.extract(typed, list(payloads), scorer=fuzz.token_sort_ratio,
                           processor=utils.default_process, limit=2, score_cutoff=TITLE_SCORE)
    if not best or (len(best) > 1 and best[0][1] - best[1][1] < TITLE_MARGIN):
        return None
    return payloads[best[0][0]]


def looks_like_question(text: str) -> bool:
    words = _WORD.findall(text.lower())
    return text.rstrip().endswith("?") or (len(words) > 1 and words[0] in _QUESTION_WORDS)


def _normal(text: str) -> str:
    return " ".join(_WORD.findall(str(text).lower()))


def _contains_any(text: str, phrases: frozenset[str]) -> bool:
    padded = f" {_normal(text)} "
    return any(f" {phrase} " in padded for phrase in phrases)


def _parse(text: str, intent: str) -> dict:
    decided = {"name": intent, "confidence": 1.0}
    return {"text": text, "intent": decided, "intent_ranking": [decided], "entities": []}
