"""Inline keyboards whose buttons carry only a random key; the payload stays on the server.

A button's callback_data is a 22-character random key (Telegram allows 64 bytes). The key maps,
in the database, to the payload, the title and the keyboard, and the keyboard to the chat it
was sent to, so every worker can resolve it. A tap acts only when the key belongs to the chat
it comes from and its keyboard is still open. A keyboard closes, for good, when:

- one of its buttons is chosen (a second tap is told it was already chosen);
- the bot sends newer messages to that chat (`open_keyboards`, before every reply and pushed
  message): only the buttons of the latest messages work;
- the Telegram channel starts: `retire_open_keyboards` at start-up closes every keyboard
  issued before. This is the "boot id" check, kept in the database rather than as a
  per-process id so that keys still work across the workers of one run (a key issued by one
  worker can be tapped on another), while any restart makes all earlier buttons stale.

Closed, foreign and unknown keys are refused and never reach the conversation.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from services.context import Services
from services.persistence.models import TelegramCallbackKey, TelegramKeyboard

logger = logging.getLogger(__name__)

KEY_BYTES = 16  # 22 url-safe characters
KEPT_FOR = dt.timedelta(days=7)  # keyboards are deleted after this, at start-up


class Outcome(Enum):
    CHOSEN = "chosen"  # act on the payload
    ALREADY_CHOSEN = "already_chosen"
    STALE = "stale"  # a newer message, or a restart, closed the keyboard
    FOREIGN = "foreign"  # the key was shown in another chat: refused and logged
    UNKNOWN = "unknown"  # no such key: forged, or long deleted


@dataclass(frozen=True)
class Tap:
    outcome: Outcome
    title: str | None = None  # the button tapped (CHOSEN) or chosen before (ALREADY_CHOSEN)
    payload: str | None = None  # CHOSEN only
    text_html: str | None = None  # the keyboard's message as sent, to show the choice


def open_keyboards(svc: Services, chat_id: str | int,
                   keyboards: Sequence[tuple[str, Sequence[dict[str, str]]]]) -> list[list[str]]:
    """New messages are about to go to the chat: its earlier keyboards close, and one opens for
    each (message text as HTML, buttons) in `keyboards`. The keys of each, button by button."""
    now = svc.now()
    chat = str(chat_id)
    keys = [[secrets.token_urlsafe(KEY_BYTES) for _ in buttons] for _, buttons in keyboards]
    with svc.uow() as uow:
        session = uow.session
        _close_chat(session, chat, now)
        if keyboards:
            ids = session.scalars(
                insert(TelegramKeyboard)
                .returning(TelegramKeyboard.id, sort_by_parameter_order=True),
                [{"chat_id": chat, "text_html": text_html, "created_at": now}
                 for text_html, _ in keyboards]).all()
            session.execute(insert(TelegramCallbackKey), [
                {"key": key, "keyboard_id": keyboard_id, "title": button["title"][:200],
                 "payload": button["payload"]}
                for keyboard_id, (_, buttons), keyboard_keys in zip(ids, keyboards, keys,
                                                                   strict=True)
                for key, button in zip(keyboard_keys, buttons, strict=True)])
        uow.commit()
    return keys


def retire_open_keyboards(svc: Services) -> int:
    """At start-up: every keyboard issued before is stale; old ones are deleted. How many
    were still open."""
    now = svc.now()
    with svc.uow() as uow:
        session = uow.session
        closed = session.execute(
            update(TelegramKeyboard).where(TelegramKeyboard.closed_at.is_(None))
            .values(closed_at=now).execution_options(synchronize_session=False)).rowcount
        old = select(TelegramKeyboard.id).where(TelegramKeyboard.created_at < now - KEPT_FOR)
        session.execute(delete(TelegramCallbackKey)
                        .where(TelegramCallbackKey.keyboard_id.in_(old)))
        session.execute(delete(TelegramKeyboard).where(TelegramKeyboard.id.in_(old)))
        uow.commit()
    return closed


def choose(svc: Services, key: str, *, chat_id: str | int) -> Tap:
    """A member in `chat_id` tapped the button `key`."""
    now = svc.now()
    with svc.uow() as uow:
        session = uow.session
        found = session.execute(
            select(TelegramCallbackKey, TelegramKeyboard)
            .join(TelegramKeyboard, TelegramKeyboard.id == TelegramCallbackKey.keyboard_id)
            .where(TelegramCallbackKey.key == key)).one_or_none()
        if found is None:
            logger.warning("unknown callback key from chat %s", chat_id)
            return Tap(Outcome.UNKNOWN)
        button, keyboard = found
        if keyboard.chat_id != str(chat_id):
            logger.warning("callback key of chat %s tapped in chat %s; refused",
                           keyboard.chat_id, chat_id)
            return Tap(Outcome.FOREIGN)
        # Conditional, so two taps (or two workers) choose once.
        won = session.execute(
            update(TelegramKeyboard)
            .where(TelegramKeyboard.id == keyboard.id, TelegramKeyboard.closed_at.is_(None))
            .values(closed_at=now).execution_options(synchronize_session=False)).rowcount == 1
        if won:
            button.chosen_at = now
            tap = Tap(Outcome.CHOSEN, button.title, button.payload, keyboard.text_html)
            uow.commit()
            return tap
        chosen = session.scalar(select(TelegramCallbackKey.title).where(
            TelegramCallbackKey.keyboard_id == keyboard.id,
            TelegramCallbackKey.chosen_at.is_not(None)))
        if chosen is not None:
            return Tap(Outcome.ALREADY_CHOSEN, chosen, text_html=keyboard.text_html)
        return Tap(Outcome.STALE)


def _close_chat(session: Session, chat_id: str, now: dt.datetime) -> None:
    session.execute(update(TelegramKeyboard)
                    .where(TelegramKeyboard.chat_id == chat_id,
                           TelegramKeyboard.closed_at.is_(None))
                    .values(closed_at=now).execution_options(synchronize_session=False))
