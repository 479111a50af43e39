"""Security questions in chat: offering them as buttons, reading the member's choice (a
button's number, a typed number, the question itself or words of it), and asking for an
answer.

A chosen question is kept in its slot as its number in services.accounts.SECURITY_QUESTIONS,
counting from 1, as a string ("3"), which fits in a button's payload.
"""

from __future__ import annotations

import re
from typing import Any

from rapidfuzz import fuzz
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogs.actions.texts import text
from services.accounts import SECURITY_QUESTIONS
from services.identity import normalize_security_answer

CHOICE_ENTITY = "question_choice"
_WORD = re.compile(r"[a-z]+")
# Words every question has, or any choice may say: they name no question.
_COMMON_WORDS = frozenset({"what", "was", "the", "name", "of", "your", "is", "in", "did", "you",
                           "on", "and", "my", "one", "a", "an", "question", "about", "that",
                           "this", "i", "ll", "pick", "take", "choose", "want", "go", "with",
                           "me", "let", "s", "please", "pls", "use"})
_QUESTION_WORDS = [frozenset(_WORD.findall(question.casefold())) - _COMMON_WORDS
                   for question in SECURITY_QUESTIONS]
_FUZZY_MIN_LENGTH = 4  # shorter words must be typed right: "pet" is not "per"
_WORD_SCORE = 80  # rapidfuzz ratio for a typo of a question's word


def question_number(value: Any) -> str | None:
    """"3", 3, the question's text or words of it ("first pet", "the street one") -> "3";
    None when it names no question, or more than one as well."""
    text = " ".join(str(value or "").split()).rstrip("?").casefold()
    if text.isdigit() and 1 <= int(text) <= len(SECURITY_QUESTIONS):
        return str(int(text))
    for number, question in enumerate(SECURITY_QUESTIONS, 1):
        if text and text == question.rstrip("?").casefold():
            return str(number)
    return _named_by_its_words(text)


def _named_by_its_words(text: str) -> str | None:
    """The question whose own words the text has the most of (typos tolerated), if just one."""
    typed = [word for word in _WORD.findall(text) if word not in _COMMON_WORDS]
    scores = [sum(1 for word in typed if any(_same_word(word, own) for own in words))
              for words in _QUESTION_WORDS]
    best = max(scores, default=0)
    if best == 0 or scores.count(best) > 1:
        return None
    return str(scores.index(best) + 1)


def _same_word(typed: str, own: str) -> bool:
    if typed == own:
        return True
    return min(len(typed), len(own)) >= _FUZZY_MIN_LENGTH and \
        fuzz.ratio(typed, own) >= _WORD_SCORE


def question_text(number: str | None) -> str:
    return SECURITY_QUESTIONS[int(number) - 1] if number else SECURITY_QUESTIONS[0]


def said_in_language(domain: DomainDict, tracker: Tracker, question: str) -> str:
    """A question of SECURITY_QUESTIONS as the member's language asks it
    (`utter_care_security_question_<number>`). The English text stays what is stored."""
    number = SECURITY_QUESTIONS.index(question) + 1 if question in SECURITY_QUESTIONS else None
    name = f"utter_care_security_question_{number}"
    return text(domain, tracker, name) if (domain.get("responses") or {}).get(name) else question


def ask_for_question(dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
                     response: str, *, exclude: str | None) -> None:
    buttons = [{"title": said_in_language(domain, tracker, question),
                "payload": f'/inform{{"{CHOICE_ENTITY}": "{number}"}}'}
               for number, question in enumerate(SECURITY_QUESTIONS, 1)
               if str(number) != exclude]
    dispatcher.utter_message(response=response, buttons=buttons)


def ask_for_answer(dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
                   question: str) -> None:
    dispatcher.utter_message(response="utter_ask_security_answer",
                             question=said_in_language(domain, tracker, question))


def answer_or_refuse(value: Any, dispatcher: CollectingDispatcher) -> str | None:
    """The answer as typed (it is normalized and hashed when stored), or None if it is empty."""
    answer = str(value or "").strip()
    if not normalize_security_answer(answer):
        dispatcher.utter_message(response="utter_security_answer_empty")
        return None
    return answer
