"""Sending the bot's messages to a chat: HTML, split to Telegram's length, buttons as inline
keyboards whose callback data is an opaque key (callback_keys).

Used for a turn's replies and for pushed messages alike, so both close the chat's earlier
keyboards: only the buttons of the latest messages work.

What the engine says in one go goes out as few messages as it can: consecutive texts are joined
(a blank line between them) up to and including one with buttons. The member gets one bubble
with its choices under it instead of several, and a reply is not held back by Telegram's limit
of one message a second in a chat.

A message longer than Telegram takes goes out in parts. `Progress` counts the parts Telegram
took, so a send tried again resumes from the first part not delivered, and `unsent` gives what
is left as messages (for the outbox).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode

from bot.telegram import callback_keys
from bot.telegram.formatting import split_text, to_html
from dialogs.engine import BotMessage
from services.context import Services

CHOOSE = "Please choose:"  # the text of a message that has buttons and nothing to say
SHORT_TITLE = 18  # titles up to this long go two to a row


@dataclass
class Progress:
    """How many parts of a send Telegram took."""
    sent: int = 0


async def send_replies(bot: Bot, svc: Services, chat_id: int | str,
                       messages: Sequence[BotMessage], progress: Progress | None = None, *,
                       keys: Sequence[Sequence[str]] | None = None) -> None:
    """Send `messages` in order; the buttons of each go under its last part. With `progress`
    of an earlier try, the parts it counts are not sent again. `keys`: the keyboards already
    opened for these messages (open_reply_keyboards, on the turn's own thread)."""
    progress = progress if progress is not None else Progress()
    pending = _all_parts(messages)[progress.sent:]
    if keys is None or progress.sent:
        # A database write: off the event loop, as turns are (dialogs/engine/turn_queue.py),
        # so a write that waits for another (SQLite has one writer) stalls only this chat.
        keys = await asyncio.to_thread(open_reply_keyboards, svc, chat_id, messages,
                                       progress.sent)
    keys = iter(keys)
    for text, buttons in pending:
        markup = _keyboard(buttons, next(keys)) if buttons else None
        await bot.send_message(chat_id, to_html(text), parse_mode=ParseMode.HTML,
                               reply_markup=markup)
        progress.sent += 1


def open_reply_keyboards(svc: Services, chat_id: int | str, messages: Sequence[BotMessage],
                         sent: int = 0) -> list[list[str]]:
    """Close the chat's keyboards and open those of `messages` (past the first `sent` parts):
    their keys, keyboard by keyboard. A database write: call it off the event loop."""
    return callback_keys.open_keyboards(
        svc, chat_id, [(to_html(text), buttons)
                       for text, buttons in _all_parts(messages)[sent:] if buttons])


def unsent(messages: Sequence[BotMessage], progress: Progress) -> list[BotMessage]:
    """What of `messages` Telegram did not take yet, as messages."""
    return join_messages([BotMessage(text, list(buttons))
                          for text, buttons in _all_parts(messages)[progress.sent:]])


def join_messages(messages: Sequence[BotMessage]) -> list[BotMessage]:
    """Consecutive messages as one, each one ending with the first that has buttons."""
    joined: list[BotMessage] = []
    texts: list[str] = []
    for message in messages:
        if message.text:
            texts.append(message.text)
        if message.buttons:
            joined.append(BotMessage("\n\n".join(texts) or None, message.buttons))
            texts = []
    if texts:
        joined.append(BotMessage("\n\n".join(texts)))
    return joined


def _all_parts(messages: Sequence[BotMessage]) -> list[tuple[str, Sequence[dict[str, str]]]]:
    return [part for message in join_messages(messages) for part in _parts(message)]


def _parts(message: BotMessage) -> list[tuple[str, Sequence[dict[str, str]]]]:
    """The message as parts (text before escaping) that fit Telegram; its buttons go with the
    last."""
    texts = split_text(message.text or "")
    if not texts and message.buttons:
        texts = [CHOOSE]
    return [(text, message.buttons if number == len(texts) else ())
            for number, text in enumerate(texts, start=1)]


def _keyboard(buttons: Sequence[dict[str, str]], keys: Sequence[str]) -> InlineKeyboardMarkup:
    per_row = 2 if all(len(button["title"]) <= SHORT_TITLE for button in buttons) else 1
    cells = [InlineKeyboardButton(button["title"], callback_data=key)
             for button, key in zip(buttons, keys, strict=True)]
    return InlineKeyboardMarkup([cells[i:i + per_row] for i in range(0, len(cells), per_row)])
