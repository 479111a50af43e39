"""Typed answers to a question with a few choices ("health, dental or both"), in the member's
language: the words are data, data/languages/<code>/choices.yml, so a language adds its words
without code.

A member's own language is read first; English, which every member may type ("both"), only
when it finds nothing. Words and answers are compared without case or accents ("médico" and
"medico" alike).
"""

from __future__ import annotations

import difflib
import re
import unicodedata

from rasa_sdk import Tracker

from dialogs.actions.texts import DEFAULT_LANGUAGE, language_of
from services.language_files import language_file

CHOICES_FILE = "choices.yml"
QUESTION_STARTS = "question_starts"


def choice(tracker: Tracker, question: str, value: object) -> str | None:
    """The choice of `question` (a section of choices.yml) that the answer `value` names. An
    English word in another language's answer counts only as a whole word ("all" is not in
    "detalle"), and is not guessed from a typo."""
    own = language_of(tracker)
    found = keyword_choice(value, choice_words(own).get(question) or {})
    if found is None and own != DEFAULT_LANGUAGE:
        found = keyword_choice(value, choice_words(DEFAULT_LANGUAGE).get(question) or {},
                               whole_words=True)
    return found


def asks_a_question(tracker: Tracker, message: str) -> bool:
    """Does the message start the way a question does in the member's language or English
    ("how can I pay?", "¿cómo puedo pagar?")?"""
    text = plain(message)
    return any(re.match(rf"\W*{re.escape(plain(start))}\b", text)  # "¿cómo…?" too
               for language in dict.fromkeys((language_of(tracker), DEFAULT_LANGUAGE))
               for start in choice_words(language).get(QUESTION_STARTS) or ())


def keyword_choice(value: object, words: dict[str, tuple[str, ...] | list[str]], *,
                   whole_words: bool = False) -> str | None:
    """The choice whose keyword the answer contains ("just health" -> health), else the one
    a word of it is a likely typo of ("helth", "montly"); with `whole_words`, only a keyword
    standing as words of its own."""
    text = plain(str(value))
    keys = {name: [plain(key) for key in found] for name, found in words.items()}
    found = next((name for name, names in keys.items() if any(
        re.search(rf"\b{re.escape(key)}\b", text) if whole_words else key in text
        for key in names)), None)
    if found is not None or whole_words:
        return found
    by_key = {key: name for name, names in keys.items() for key in names if " " not in key}
    for token in re.findall(r"[a-z]{4,}", text):
        close = difflib.get_close_matches(token, by_key, n=1, cutoff=0.8)
        if close:
            return by_key[close[0]]
    return None


def choice_words(language: str) -> dict:
    """The language's choices.yml ({} when it has none): question -> choice -> words."""
    return language_file(language, CHOICES_FILE)


def plain(text: str) -> str:
    """Lower case without accents: "Médico" -> "medico"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
