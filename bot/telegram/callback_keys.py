"""Inline keyboards whose buttons carry only a random key; the payload stays on the server.

A keyboard is one row in the database: the chat it was sent to, its message, its buttons (title
and payload) in order, and two random strings. A button's callback_data is
`<selector>.<verifier>.<position>` (38 characters at most; Telegram allows 64 bytes): the
selector finds the keyboard, the verifier is compared in constant time, so every worker can
resolve a key and none can be guessed. A tap acts only when the key belongs to the chat it
comes from and its keyboard is still open. A keyboard closes, for good, when:

- one of its buttons is chosen (a second tap is told it was already chosen);
- the bot sends newer messages to that chat (`open_keyboards`, before every reply and pushed
  message): only the buttons of the latest messages work;
- the Telegram channel starts: `retire_open_keyboards` at start-up closes every keyboard
  issued before. This is the "boot id" check, kept in the database rather than as a
  per-process id so that keys still work across the workers of one run (a key issued by one
  worker can be tapped on another), while any restart makes all earlier buttons stale.

Closed, foreign and unknown keys are refused and never reach the conversation. The statements
run for every reply are built once, as Core statements: `open_keyboards` is one UPDATE, one
INSERT when there are buttons, and one commit. Keyboards are chat state: they are written through
the unit of work that does not wait for the disk (Services.chat_state_uow).
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from sqlalchemy import Connection, Row, bindparam, delete, insert, select, update

from services.context import Services
from services.persistence.models import TelegramKeyboard

logger = logging.getLogger(__name__)

SELECTOR_BYTES = 8  # 11 url-safe characters
VERIFIER_BYTES = 16  # 22 url-safe characters
KEPT_FOR = dt.timedelta(days=7)  # keyboards are deleted after this, at start-up
_KEY = re.compile(r"([\w-]{11})\.([\w-]{22})\.(\d{1,3})", re.ASCII)

_KEYBOARDS = TelegramKeyboard.__table__
_CLOSE_CHAT = (update(_KEYBOARDS)
               .where(_KEYBOARDS.c.chat_id == bindparam("chat"), _KEYBOARDS.c.closed_at.is_(None))
               .values(closed_at=bindparam("now")))
_OPEN = insert(_KEYBOARDS)
_FIND = select(_KEYBOARDS).where(_KEYBOARDS.c.selector == bindparam("key_selector"))
# Conditional, so two taps (or two workers) choose once.
_CHOOSE = (update(_KEYBOARDS)
           .where(_KEYBOARDS.c.selector == bindparam("key_selector"),
                  _KEYBOARDS.c.closed_at.is_(None))
           .values(closed_at=bindparam("now"), chosen=bindparam("position")))
_CHOSEN = select(_KEYBOARDS.c.chosen).where(_KEYBOARDS.c.selector == bindparam("key_selector"))


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
    rows = [{"selector": secrets.token_urlsafe(SELECTOR_BYTES),
             "verifier": secrets.token_urlsafe(VERIFIER_BYTES), "chat_id": chat,
             "text_html": text_html, "created_at": now, "closed_at": None, "chosen": None,
             "buttons": [{"title": button["title"], "payload": button["payload"]}
                         for button in buttons]}
            for text_html, buttons in keyboards]
    with svc.chat_state_uow().connect() as conn:  # no ORM session: this runs for every reply
        conn.execute(_CLOSE_CHAT, {"chat": chat, "now": now})
        if rows:
            conn.execute(_OPEN, rows)
        conn.commit()
    return [[f"{row['selector']}.{row['verifier']}.{position}"
             for position in range(len(row["buttons"]))] for row in rows]


def retire_open_keyboards(svc: Services) -> int:
    """At start-up: every keyboard issued before is stale; old ones are deleted. How many
    were still open."""
    now = svc.now()
    with svc.chat_state_uow() as uow:
        session = uow.session
        closed = session.execute(update(_KEYBOARDS).where(_KEYBOARDS.c.closed_at.is_(None))
                                 .values(closed_at=now)).rowcount
        session.execute(delete(_KEYBOARDS).where(_KEYBOARDS.c.created_at < now - KEPT_FOR))
        uow.commit()
    return closed


def choose(svc: Services, key: str, *, chat_id: str | int) -> Tap:
    """A member in `chat_id` tapped the button `key`."""
    with svc.chat_state_uow().connect() as conn:
        found = _find(conn, key)
        if found is None:
            logger.warning("unknown callback key from chat %s", chat_id)
            return Tap(Outcome.UNKNOWN)
        keyboard, position = found
        if keyboard.chat_id != str(chat_id):
            logger.warning("callback key of chat %s tapped in chat %s; refused",
                           keyboard.chat_id, chat_id)
            return Tap(Outcome.FOREIGN)
        if keyboard.closed_at is not None:
            chosen = keyboard.chosen
        elif conn.execute(_CHOOSE, {"key_selector": keyboard.selector, "now": svc.now(),
                                    "position": position}).rowcount == 1:
            conn.commit()
            button = keyboard.buttons[position]
            return Tap(Outcome.CHOSEN, button["title"], button["payload"], keyboard.text_html)
        else:  # another tap chose, or a newer message closed it, since it was read
            chosen = conn.scalar(_CHOSEN, {"key_selector": keyboard.selector})
    if chosen is not None:
        return Tap(Outcome.ALREADY_CHOSEN, keyboard.buttons[chosen]["title"],
                   text_html=keyboard.text_html)
    return Tap(Outcome.STALE)


def _find(conn: Connection, key: str) -> tuple[Row, int] | None:
    """The keyboard of `key` and the position of its button, if the key is one we issued."""
    match = _KEY.fullmatch(key)
    if match is None:
        return None
    selector, verifier, position = match[1], match[2], int(match[3])
    keyboard = conn.execute(_FIND, {"key_selector": selector}).one_or_none()
    if keyboard is None or not hmac.compare_digest(keyboard.verifier, verifier) or \
            position >= len(keyboard.buttons):
        return None
    return keyboard, position
