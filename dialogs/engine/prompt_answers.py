"""Reading a message at a form's prompt: is it the answer, or something else?

The NLU is trained on requests, not on answers: "Biscuit" may read as *cancel*, "alex" as a
greeting, "questions about premiums" as anything. So at a prompt the expected answer's shape
decides first (data/prompt_answers.yml):

- at a secret prompt (a sensitive slot) everything is the answer, except the Cancel button or a
  cancel said in so many words, a question of a few words, or a command; the NLU never sees
  the secret;
- anywhere, a message that is exactly an escape word ("cancel", "help") means that;
- a message that is the title of a button just offered, or of an item of the help menu (typos
  tolerated), is that button;
- anything else goes to the NLU. A message that fits the shape of the answer asked for is the
  answer (intent `inform`, the NLU's entities kept); free text that does not fit fills a shaped
  answer only when the NLU read it as an answer (`inform`, not sure, yes/no), not as a question
  or another request; a cancel word inside such an answer ("nah cancel that") cancels.

Other languages add their words (escape words, fillers, question words, lead-ins) from the
`prompts:` section of data/languages/<code>/words.yml (services/language_words.py), on top of
the English ones: "cancelar" and "cancel" leave a form whichever language the member chose.
Words are compared without case or accents ("olvídalo" is "olvidalo").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process, utils

from dialogs.engine.domain import NLU_FALLBACK_INTENT, REQUESTED_SLOT
from dialogs.engine.payloads import parse_payload
from dialogs.engine.tracker import Tracker
from services.accounts import USERNAME_LENGTH
from services.language_words import all_words, plain

CANCEL_INTENT = "cancel"
ANSWER_INTENT = "inform"
# What the NLU says of a message that is an attempt at an answer, not a request of its own.
ANSWER_INTENTS = frozenset({ANSWER_INTENT, NLU_FALLBACK_INTENT, "affirm", "deny", "out_of_scope"})
# A typed title chooses a button when it scores this much (rapidfuzz, 0-100) and clearly more
# than the next button; short texts must match exactly, a typo there is another word.
TITLE_SCORE = 85
TITLE_MARGIN = 5
FUZZY_MIN_LENGTH = 4
# An escape said in more words than this ("cancel", "ok cancel that please") is something else.
MAX_ESCAPE_WORDS = 6
_QUESTION_WORDS = frozenset({"what", "whats", "what's", "which", "how", "hows", "how's", "why",
                             "when", "where", "who", "can", "could", "do", "does", "did", "is",
                             "are", "will", "should", "would", "may"})
_USERNAME = re.compile(r"^[a-z0-9._-]+$", re.IGNORECASE)
_COMMAND = re.compile(r"^\s*/\w+(?:@\w+)?\s*$")
# A message at a secret prompt asks something only when it is a question of this many words
# or more: a password is rarely a sentence that ends with "?".
MIN_QUESTION_WORDS = 3
_AMOUNT = re.compile(r"^\s*(?:usd)?\s*[-+]?\s*\$?\s*[-+]?\d[\d,]*(?:\.\d*)?\s*"
                     r"(?:dollars?|bucks|usd)?\s*$|^\s*\$?\s*\.\d+\s*$", re.IGNORECASE)
_PHONE = re.compile(r"^\s*\+?[\d\s().-]{7,20}\s*$")
_EMAIL = re.compile(r"^\s*[^\s@]+@[^\s@]+\.[^\s@]+\s*$")
_WORD = re.compile(r"[\w']+")
_NAME = re.compile(r"^\s*[^\W\d_][^\W\d_'.-]*(?:[\s'.-]+[^\W\d_]+){0,5}\.?\s*$")
# A payment reference's look (HC-7K3M-9Q2D, 7k3m9q2d): the validator checks the rest.
_REFERENCE = re.compile(r"\b(?:hc[\s-]?)?[a-z0-9]{4}[\s-]?[a-z0-9]{4}\b", re.IGNORECASE)
_DIGIT = re.compile(r"\d")
MAX_CHOICE_WORDS = 4


@dataclass(frozen=True)
class PromptRules:
    """data/prompt_answers.yml, read."""

    escape_words: dict[str, frozenset[str]] = field(default_factory=dict)  # intent -> words
    escape_fillers: frozenset[str] = frozenset()  # "please", "that": may come with an escape
    # intent -> (the secret slots where it applies, the words that ask for it)
    secret_requests: dict[str, tuple[frozenset[str], frozenset[str]]] = \
        field(default_factory=dict)
    shapes: dict[str, str] = field(default_factory=dict)  # slot -> shape
    lead_ins: dict[str, tuple[str, ...]] = field(default_factory=dict)  # slot -> longest first
    not_answers: frozenset[str] = frozenset()  # one-word commands, never a username or choice
    question_entities: frozenset[str] = frozenset()
    # slot -> more intents that read as an answer there ("pay with visa" at the method prompt)
    answer_intents: dict[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | str, languages: Iterable[dict] | None = None) -> PromptRules:
        """data/prompt_answers.yml with every language's `prompts:` words added (`languages`:
        those sections; by default every data/languages/<code>/words.yml's)."""
        raw = yaml.safe_load(Path(path).read_text()) or {}
        _only_words(raw, str(path))
        if languages is None:
            languages = [words.get("prompts") or {} for words in all_words().values()]
        for added in languages:
            _only_words(added, f"{path} (a language's prompts)")
            raw = _with_language(raw, added)
        return cls(
            escape_words={intent: frozenset(_normal(w) for w in words)
                          for intent, words in (raw.get("escape_words") or {}).items()},
            escape_fillers=frozenset(_normal(w) for w in raw.get("escape_fillers") or ()),
            secret_requests={
                intent: (frozenset(spec["slots"]), frozenset(_normal(w) for w in spec["words"]))
                for intent, spec in (raw.get("secret_requests") or {}).items()},
            shapes=dict(raw.get("shapes") or {}),
            lead_ins={slot: tuple(sorted({_normal(w) for w in _flat(words)}, key=len,
                                         reverse=True))
                      for slot, words in (raw.get("lead_ins") or {}).items()},
            not_answers=frozenset(_normal(w) for w in raw.get("not_answers") or ()),
            question_entities=frozenset(raw.get("question_entities") or ()),
            answer_intents={slot: frozenset(intents)
                            for slot, intents in (raw.get("answer_intents") or {}).items()},
        )

    def escape_intent(self, text: str, *, secret: bool) -> str | None:
        """The escape a message is: an escape word alone, or with fillers ("cancel that
        please"). At a secret prompt only cancel escapes."""
        for intent, escapes in self.escape_words.items():
            if secret and intent != CANCEL_INTENT:
                continue
            rest = _without(text, escapes)
            if rest is not None and set(rest.split()) <= self.escape_fillers \
                    and len(_normal(text).split()) <= MAX_ESCAPE_WORDS:
                return intent
        return None

    @staticmethod
    def not_a_secret(text: str) -> bool:
        """A question ("when are premiums due?") or a command typed at a secret prompt: it is
        answered, and the secret asked for again."""
        return bool(_COMMAND.match(text)) or (
            len(_WORD.findall(text)) >= MIN_QUESTION_WORDS and looks_like_question(text))

    def secret_request(self, slot: str, text: str) -> str | None:
        """What a short message at a secret prompt asks for instead, if it says so."""
        if len(_normal(text).split()) > MAX_ESCAPE_WORDS:
            return None
        for intent, (slots, words) in self.secret_requests.items():
            if slot in slots and _contains_any(text, words):
                return intent
        return None

    def answer_part(self, slot: str, text: str) -> str:
        """The answer without what members put before it: "my username is alex" -> "alex"."""
        stripped = text.strip()
        lowered = plain(stripped)
        for lead_in in self.lead_ins.get(slot, ()):
            if lowered.startswith(lead_in + " ") or lowered.startswith(lead_in + ":"):
                answer = stripped[len(lead_in) + 1:].strip(" :")
                return answer or stripped
        return stripped

    def fits(self, slot: str, text: str) -> bool:
        """Whether `text` has the shape of the answer `slot` takes."""
        shape = self.shapes.get(slot)
        original, text = text, self.answer_part(slot, text)
        if shape is None or _normal(text) in self.not_answers:
            return False
        if shape == "username":
            shortest, longest = USERNAME_LENGTH
            name = text.strip()
            return bool(_USERNAME.match(name)) and shortest <= len(name) <= longest \
                and name[0].isalpha()
        if shape == "amount":
            return bool(_AMOUNT.match(text))
        if shape == "contact":
            return bool(_PHONE.match(text) or _EMAIL.match(text))
        if looks_like_question(text):
            return False
        if shape == "name":
            return bool(_NAME.match(text)) and self.escape_intent(text, secret=False) is None
        if shape == "reference":
            return any(_DIGIT.search(found) for found in _REFERENCE.findall(text))
        # A choice fits by its button's title (PromptReader._offered_button), or when said
        # with the words that come before a choice ("pay with visa").
        return len(_WORD.findall(text)) <= MAX_CHOICE_WORDS and text != original.strip()

    def takes_text(self, slot: str, message: dict, *, secret: bool = False) -> bool:
        """Whether a from_text mapping may fill `slot` (the slot asked for) with the message:
        an answer, or what the NLU read as an attempt at one, never a question or request. A
        secret is what PromptReader read as the answer."""
        if slot not in self.shapes and not secret:
            return True
        intent = (message.get("intent") or {}).get("name")
        if intent not in ANSWER_INTENTS | self.answer_intents.get(slot, frozenset()):
            return False
        if secret:
            return not self.not_a_secret(message.get("text") or "")
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
        escape = self.rules.escape_intent(text, secret=secret) \
            or (self.rules.secret_request(requested, text) if secret else None)
        if escape is not None:
            return _parse(text, escape)
        if secret:
            return None if self.rules.not_a_secret(text) else _parse(text, ANSWER_INTENT)
        payload = self._offered_button(tracker, text)
        if payload is None:
            payload = _button_titled(text, self._menu)
        if payload is not None:
            return {**parse_payload(payload, self._intents), "text": text}
        return None

    def reconsider(self, tracker: Tracker, text: str, parse: dict) -> dict:
        """The NLU's reading of a message at a prompt: the answer when it fits the answer's
        shape (its entities kept: "its HC-7K3M-9Q2D"), and a cancel word inside an answer
        cancels."""
        if not tracker.active_loop_name:
            return parse
        requested = tracker.slots.get(REQUESTED_SLOT)
        if requested and self.rules.fits(requested, text):
            answer = {"name": ANSWER_INTENT, "confidence": 1.0}
            return {**parse, "intent": answer, "intent_ranking": [answer]}
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
    words = _WORD.findall(plain(text))
    return text.rstrip().endswith("?") or (len(words) > 1 and (
        words[0] in _question_words() or " ".join(words[:2]) in _question_words()))


@lru_cache(maxsize=1)
def _question_words() -> frozenset[str]:
    """English's, and every language's `prompts: question_words` ("cuanto", "por que")."""
    return _QUESTION_WORDS | {_normal(word) for words in all_words().values()
                              for word in (words.get("prompts") or {}).get("question_words") or ()}


def _with_language(raw: dict, added: dict) -> dict:
    """prompt_answers.yml's sections with a language's words added to each."""
    merged = dict(raw)
    merged["escape_words"] = {
        intent: [*(raw.get("escape_words") or {}).get(intent, ()),
                 *(added.get("escape_words") or {}).get(intent, ())]
        for intent in {**(raw.get("escape_words") or {}), **(added.get("escape_words") or {})}}
    for key in ("escape_fillers", "not_answers"):
        merged[key] = [*(raw.get(key) or ()), *(added.get(key) or ())]
    merged["lead_ins"] = {
        slot: [*_flat((raw.get("lead_ins") or {}).get(slot, ())),
               *(added.get("lead_ins") or {}).get(slot, ())]
        for slot in {**(raw.get("lead_ins") or {}), **(added.get("lead_ins") or {})}}
    # A secret request keeps the slots prompt_answers.yml gives it; a language adds words.
    merged["secret_requests"] = {
        intent: {**spec, "words": [*spec["words"],
                                   *(added.get("secret_requests") or {}).get(intent, ())]}
        for intent, spec in (raw.get("secret_requests") or {}).items()}
    return merged


def _normal(text: str) -> str:
    return " ".join(_WORD.findall(plain(str(text))))


def _without(text: str, phrases: frozenset[str]) -> str | None:
    """`text` (normalized) with every phrase taken out, or None if it had none of them."""
    padded = f" {_normal(text)} "
    found = False
    for phrase in sorted(phrases, key=len, reverse=True):
        while f" {phrase} " in padded:
            found = True
            padded = padded.replace(f" {phrase} ", " ")
    return padded.strip() if found else None


def _only_words(value, where: str) -> None:
    """Every word in the file is text: YAML reads a bare `no` or `yes` as a boolean."""
    if isinstance(value, dict):
        for key, item in value.items():
            _only_words(item, f"{where}: {key}")
    elif isinstance(value, list):
        for item in value:
            _only_words(item, where)
    elif not isinstance(value, str):
        raise ValueError(f"{where}: {value!r} is not text; quote it")


def _flat(words) -> list[str]:
    """A list of words, YAML aliases of lists in it spread out."""
    return [word for item in words for word in (item if isinstance(item, list) else [item])]


def _contains_any(text: str, phrases: frozenset[str]) -> bool:
    padded = f" {_normal(text)} "
    return any(f" {phrase} " in padded for phrase in phrases)


def _parse(text: str, intent: str) -> dict:
    decided = {"name": intent, "confidence": 1.0}
    return {"text": text, "intent": decided, "intent_ranking": [decided], "entities": []}
