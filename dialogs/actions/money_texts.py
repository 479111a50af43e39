"""How the money conversations word dates, plans, payments and methods in the member's
language, and the buttons they share. The words are responses (data/languages/<code>/
responses_money.yml), read with texts.text(); dates and amounts are formatted by Babel for the
member's language (services/formatting.py). Dates are calendar days in the exchange's time
zone (svc.today()).

Actions pass the domain and the tracker. A caller that has no domain at hand gets the words
from the member's language folder (English without a tracker), as before these texts were data.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from babel.core import Locale
from babel.dates import format_skeleton
from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from dialogs.actions import texts
from dialogs.actions.choice_words import keyword_choice
from dialogs.actions.member_session import start_login
from dialogs.actions.texts import DEFAULT_LANGUAGE, fill, text
from services import formatting
from services.language_files import language_file
from services.persistence.models import PaymentMethod

__all__ = ["keyword_choice"]  # read by the autopay form; it lives in choice_words

# Forms of someone who cannot log in yet: a question that needs an account leaves them be.
FORMS_WITHOUT_AN_ACCOUNT = frozenset({"create_account_form", "reset_password_form"})

logger = logging.getLogger("dialogs.actions.money")

_MAX_ID = 10**11  # beyond any row id: a payload with more is not one of ours
_TEXTS_FILE = "responses_money.yml"
Domain = Mapping[str, Any] | None


def words(domain: Domain, tracker: Tracker | None, name: str, **values: Any) -> str:
    """Response `name` in the member's language, filled with `values`. Without the domain
    (a caller that has none at hand), from the language folder's responses_money.yml, and
    English without a tracker."""
    if domain is not None and tracker is not None:
        return text(domain, tracker, name, **values)
    variations = _file_texts(_language(tracker) or DEFAULT_LANGUAGE).get(name) \
        or _english()[name]
    return fill(variations[0]["text"], values)


def _file_texts(language: str) -> dict[str, list[dict]]:
    return language_file(language, _TEXTS_FILE).get("responses") or {}


def _english() -> dict[str, list[dict]]:
    return _file_texts(DEFAULT_LANGUAGE)


_language = texts.language_of


day = texts.short_day  # one formatter for every action


long_day = texts.long_date  # one formatter for every action


def month(date: dt.date, tracker: Tracker | None = None) -> str:
    """"December 2026" / "diciembre de 2026"."""
    return format_skeleton("yMMMM", date, locale=formatting.locale_for(_language(tracker)))


month_name = texts.month  # one formatter for every action


def day_and_month(date: dt.date, tracker: Tracker | None = None) -> str:
    """"December 23" / "23 de diciembre"."""
    return format_skeleton("MMMMd", date, locale=formatting.locale_for(_language(tracker)))


def ordinal(number: int, domain: Domain = None, tracker: Tracker | None = None) -> str:
    """"23rd" / "23": the day of the month, as the language says it."""
    form = Locale.parse(formatting.locale_for(_language(tracker))).ordinal_form(number)
    return words(domain, tracker, f"utter_day_of_month_{form}", day=number)


money = texts.money


def plan_title(kind: str, domain: Domain = None, tracker: Tracker | None = None) -> str:
    """"Health" / "Médico"; a kind without a text reads as its name."""
    name = f"utter_plan_{kind}"
    return words(domain, tracker, name) if name in _english() else kind.capitalize()


def status_word(status: str, domain: Domain = None, tracker: Tracker | None = None) -> str:
    name = f"utter_payment_status_{status}"
    return words(domain, tracker, name) if name in _english() else status


def method_title(method: PaymentMethod, domain: Domain = None,
                 tracker: Tracker | None = None) -> str:
    """"Visa ending in 4242", "Work: Checking ending in 6789" (payment_methods.method_label,
    in the member's language)."""
    return label_title(method.brand, method.last4, method.nickname, domain, tracker)


def label_title(brand: str, last4: str, nickname: str | None, domain: Domain = None,
                tracker: Tracker | None = None) -> str:
    """payment_methods.label_of in the member's language: a bank account's type is a word to
    say too ("Checking" / "Cuenta corriente"); a card's brand is its name."""
    kind = f"utter_account_type_{brand.lower()}"
    if kind in _english():
        brand = words(domain, tracker, kind)
    if nickname:
        return words(domain, tracker, "utter_method_label_nicknamed", nickname=nickname,
                     brand=brand, last4=last4)
    return words(domain, tracker, "utter_method_label", brand=brand, last4=last4)


def joined(items: Iterable[str], domain: Domain = None, tracker: Tracker | None = None) -> str:
    """"A, B and C" / "A, B y C"."""
    items = list(items)
    if len(items) < 2:
        return "".join(items)
    return words(domain, tracker, "utter_list_and", first=", ".join(items[:-1]), last=items[-1])


def button(title: str, intent: str, **entities: object) -> dict[str, str]:
    """A button whose payload is `/intent{"entity": value}`: understood without the NLU."""
    payload = f"/{intent}"
    if entities:
        payload += json.dumps(entities, separators=(",", ":"))
    return {"title": title, "payload": payload}


def button_of(domain: Domain, tracker: Tracker | None, title: str, intent: str,
              payload: Mapping[str, object] | None = None, **values: Any) -> dict[str, str]:
    """A button titled by response `title` (utter_button_…) in the member's language, filled
    with `values`; `payload` holds its entities."""
    return button(words(domain, tracker, title, **values), intent, **(payload or {}))


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


def share_of(share: object, owed: int) -> int | None:
    """Cents for "the full amount" or "half" (the NLU's amount_share) of `owed`; a half
    rounds down to the cent, so it never asks for more than half."""
    if share == "full":
        return owed
    return owed // 2 if share == "half" else None


def refuse_payload(dispatcher: CollectingDispatcher, tracker: Tracker, what: str,
                   reply: str, buttons: list[dict[str, str]] | None = None) -> None:
    """A payload named something the member does not have: never say whose it is. `reply` is
    a response's name (utter_…), or a text already in the member's language."""
    logger.warning("forged or stale payload: %s not found for sender %s", what,
                   tracker.sender_id)
    if reply.startswith("utter_"):
        dispatcher.utter_message(response=reply, buttons=buttons or [])
    else:
        dispatcher.utter_message(text=reply, buttons=buttons or [])


def as_id(value: object) -> int | None:
    """A payload's id ("123" or 123), or None for anything else."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 11:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < _MAX_ID:
        return value
    return None
