"""The Telegram channel's own texts, in the chat's language. They are responses like the
conversation's (data/languages/<code>/responses_telegram.yml), so a language folder that
translates the conversation translates these too, and the coverage test names any it lacks.

The chat's language is the conversation's as its latest turn left it; for a chat this worker
has not had a turn with yet, the one the member's Telegram app is set to, else the default."""

from __future__ import annotations

from collections.abc import Callable

from telegram import User

from bot.telegram.context import CHANNEL
from dialogs.engine import BotMessage

# A notice said before a turn's replies, in the language the turn leaves the chat in.
Notice = Callable[[str], str]


def chat_language(runtime, chat_id: int | str, user: User | None = None) -> str:
    return runtime.engine.languages.language_of(
        CHANNEL, str(chat_id), language_code=user.language_code if user else None)


def chat_message(runtime, name: str, language: str, **values) -> BotMessage:
    return runtime.engine.say(name, language, **values)


def chat_text(runtime, name: str, language: str, **values) -> str:
    return chat_message(runtime, name, language, **values).text or ""


def notice(runtime, name: str, **values) -> Notice:
    return lambda language: chat_text(runtime, name, language, **values)
