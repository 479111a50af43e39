"""How the money conversations show dates, plans, payments and methods, and the buttons they
share. Dates are calendar days in the exchange's time zone (svc.today()); amounts come from
services.money.format_cents."""

from __future__ import annotations

import datetime as dt
import difflib
import json
import logging
import re

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from dialogs.actions.member_session import start_login

# Forms of someone who cannot log in yet: a question that needs an account leaves them be.
FORMS_WITHOUT_AN_ACCOUNT = frozenset({"create_account_form", "reset_password_form"})

logger = logging.getLogger("dialogs.actions.money")

_MAX_ID = 10**11  # beyond any row id: a payload with more is not one of ours
STATUS_WORDS = {
    "succeeded": "paid",
    "processing": "processing (bank)",
    "pending": "being checked",
    "requires_action": "waiting for you to confirm it",
    "declined": "declined",
    "failed": "returned, not paid",
}


def day(date: dt.date) -> str:
    """"Wed, Dec 23": for dates this year or next, where the weekday helps."""
    return f"{date:%a, %b} {date.day}"


def long_day(date: dt.date) -> str:
    """"December 23, 2026": where the year matters (deadlines, history)."""
    return f"{date:%B} {date.day}, {date.year}"


def month(date: dt.date) -> str:
    return f"{date:%B %Y}"


def plan_title(kind: str) -> str:
    return kind.capitalize()


def status_word(status: str) -> str:
    return STATUS_WORDS.get(status, status)


def button(title: str, intent: str, **entities: object) -> dict[str, str]:
    """A button whose payload is `/intent{"entity": value}`: understood without the NLU."""
    payload = f"/{intent}"
    if entities:
        payload += json.dumps(entities, separators=(",", ":"))
    return {"title": title, "payload": payload}


def offer_log_in(dispatcher: CollectingDispatcher, tracker: Tracker,
                 resume: str | None) -> list[EventType]:
    """"Please log in first" starts the log-in, so the next message is taken as the username;
    then `resume` runs (the log-in form's question says why it is asked) or, without one, the
    member is told here. Someone opening an account or resetting a password has none to log
    in to yet: they are told, and their form goes on."""
    if tracker.active_loop_name in FORMS_WITHOUT_AN_ACCOUNT:
        dispatcher.utter_message(response="utter_log_in_first")
        return []
    if resume is None:
        dispatcher.utter_message(response="utter_log_in_first")
    return start_login(resume)


def entity_value(tracker: Tracker, entity: str) -> object | None:
    """The value of `entity` in the latest message (from a button payload or the NLU)."""
    for found in tracker.latest_message.get("entities") or ():
        if found.get("entity") == entity:
            return found.get("value")
    return None


def keyword_choice(value: object, words: dict[str, tuple[str, ...]]) -> str | None:
    """The choice whose keyword the answer contains ("just health" -> health), else the one
    a word of it is a likely typo of ("helth", "montly")."""
    text = str(value).lower()
    found = next((name for name, keys in words.items() if any(key in text for key in keys)),
                 None)
    if found is not None:
        return found
    by_key = {key: name for name, keys in words.items() for key in keys if " " not in key}
    for token in re.findall(r"[a-z]{4,}", text):
        close = difflib.get_close_matches(token, by_key, n=1, cutoff=0.8)
        if close:
            return by_key[close[0]]
    return None


def share_of(share: object, owed: int) -> int | None:
    """Cents for "the full amount" or "half" (the NLU's amount_share) of `owed`; a half
    rounds down to the cent, so it never asks for more than half."""
    if share == "full":
        return owed
    return owed // 2 if share == "half" else None


def refuse_payload(dispatcher: CollectingDispatcher, tracker: Tracker, what: str,
                   reply: str, buttons: list[dict[str, str]] | None = None) -> None:
    """A payload named something the member does not have: never say whose it is."""
    logger.warning("forged or stale payload: %s not found for sender %s", what,
                   tracker.sender_id)
    dispatcher.utter_message(text=reply, buttons=buttons or [])


def as_id(value: object) -> int | None:
    """A payload's id ("123" or 123), or None for anything else."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 11:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < _MAX_ID:
        return value
    return None
