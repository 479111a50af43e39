"""Security questions in chat: offering them as buttons, reading the member's choice (a
button's number, a typed number or the question itself), and asking for an answer.

A chosen question is kept in its slot as its number in services.accounts.SECURITY_QUESTIONS,
counting from 1, as a string ("3"), which fits in a button's payload.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from services.accounts import SECURITY_QUESTIONS
from services.identity import normalize_security_answer

CHOICE_ENTITY = "question_choice"


def question_number(value: Any) -> str | None:
    """"3", 3 or the question's text -> "3"; None when it names no question."""
    text = " ".join(str(value or "").split()).rstrip("?").casefold()
    if text.isdigit() and 1 <= int(text) <= len(SECURITY_QUESTIONS):
        return str(int(text))
    for number, question in enumerate(SECURITY_QUESTIONS, 1):
        if text and text == question.rstrip("?").casefold():
            return str(number)
    return None


def question_text(number: str | None) -> str:
    return SECURITY_QUESTIONS[int(number) - 1] if number else SECURITY_QUESTIONS[0]


def ask_for_question(dispatcher: CollectingDispatcher, response: str, *,
                     exclude: str | None) -> None:
    buttons = [{"title": question, "payload": f'/inform{{"{CHOICE_ENTITY}": "{number}"}}'}
               for number, question in enumerate(SECURITY_QUESTIONS, 1)
               if str(number) != exclude]
    dispatcher.utter_message(response=response, buttons=buttons)


def ask_for_answer(dispatcher: CollectingDispatcher, question: str) -> None:
    dispatcher.utter_message(response="utter_ask_security_answer", question=question)


def answer_or_refuse(value: Any, dispatcher: CollectingDispatcher) -> str | None:
    """The answer as typed (it is normalized and hashed when stored), or None if it is empty."""
    answer = str(value or "").strip()
    if not normalize_security_answer(answer):
        dispatcher.utter_message(response="utter_security_answer_empty")
        return None
    return answer
