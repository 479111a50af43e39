"""Choosing a saved method in a form (a payment, autopay): buttons for the methods that can be
charged, "Add a card or bank account" for the hosted setup page, and reading the answer.

The answer is the entity `payment_method`: a method id from a button, "new" from the add button,
or the id the bot layer sends as `/inform{"payment_method": "<id>"}` when the hosted page has
saved a new method, so the form goes on by itself. Typed answers ("the visa", "4242") are
matched against the member's methods.
"""

from __future__ import annotations

import re

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from dialogs.actions.choice_words import choice_words, plain
from dialogs.actions.money_texts import (
    Domain,
    as_id,
    button,
    button_of,
    entity_value,
    method_title,
    refuse_payload,
    words,
)
from dialogs.actions.texts import DEFAULT_LANGUAGE, language_of
from services import method_setup, payment_methods
from services.context import Services
from services.persistence.models import PaymentMethod

METHOD_ENTITY = "payment_method"
ADD_METHOD = "new"
METHOD_KINDS = "payment_method_kind"  # the section of choices.yml naming cards and accounts
NOT_FOUND = "I couldn't find that payment method. Please choose one from the list."
NOT_FOUND_RESPONSE = "utter_method_not_found"  # NOT_FOUND in the member's language


def usable_methods(svc: Services, account_id: int) -> tuple[list[PaymentMethod],
                                                            list[PaymentMethod]]:
    """(methods that can be charged today, expired cards)."""
    today = svc.today()
    usable, expired = [], []
    for method in payment_methods.list_methods(svc, account_id):
        (expired if payment_methods.card_expired(method, today) else usable).append(method)
    return usable, expired


def ask_for_method(dispatcher: CollectingDispatcher, tracker: Tracker, svc: Services,
                   account_id: int, question: str, domain: Domain = None) -> None:
    """The question (in the member's language) with a button per method, or the setup link
    when the member asked to add one. Without the domain, the rest is said in English."""
    if entity_value(tracker, METHOD_ENTITY) == ADD_METHOD:
        send_setup_link(dispatcher, svc, account_id, waiting=True)
        return
    usable, expired = usable_methods(svc, account_id)
    text = question if usable else words(domain, tracker, "utter_no_saved_methods")
    if expired:
        lines = [words(domain, tracker, "utter_method_expired_line",
                       method=method_title(method, domain, tracker)) for method in expired]
        text += "\n" + words(domain, tracker, "utter_methods_expired_note",
                             expired="; ".join(lines))
    buttons = [button(_title(method, domain, tracker), "inform",
                      **{METHOD_ENTITY: str(method.id)}) for method in usable]
    buttons.append(button_of(domain, tracker, "utter_button_add_method", "inform",
                             {METHOD_ENTITY: ADD_METHOD}))
    dispatcher.utter_message(text=text, buttons=buttons)


def send_setup_link(dispatcher: CollectingDispatcher, svc: Services, account_id: int, *,
                    waiting: bool) -> None:
    """The hosted page's link; `waiting`: the form goes on when the method is saved."""
    url = method_setup.start_method_setup(svc, account_id)
    dispatcher.utter_message(
        response="utter_method_setup_link_waiting" if waiting else "utter_method_setup_link",
        url=url, minutes=svc.config.setup_token_minutes)


def chosen_method(dispatcher: CollectingDispatcher, tracker: Tracker, svc: Services,
                  account_id: int, value: object, domain: Domain = None) -> int | None:
    """The id of the method the member chose, or None (having said why, if it needs saying)."""
    if value == ADD_METHOD:
        return None  # the question is asked again as the setup link
    usable, _ = usable_methods(svc, account_id)
    method_id = as_id(value)
    if method_id is not None:
        if any(method.id == method_id for method in usable):
            return method_id
        mine = {m.id: m for m in payment_methods.list_methods(svc, account_id)}
        if method_id in mine:  # an expired card, from an old button
            dispatcher.utter_message(response="utter_method_expired",
                                     method=method_title(mine[method_id], domain, tracker))
        else:
            refuse_payload(dispatcher, tracker, f"payment method {method_id}",
                           NOT_FOUND_RESPONSE)
        return None
    matches = _matching(usable, str(value), entity_value(tracker, "method_type"),
                        kind_words(tracker))
    if len(matches) == 1:
        return matches[0].id
    dispatcher.utter_message(response="utter_tap_a_method")
    return None


def kind_words(tracker: Tracker) -> dict[str, set[str]]:
    """The words for a card or a bank account, in the member's language and in English."""
    found: dict[str, set[str]] = {}
    for language in (language_of(tracker), DEFAULT_LANGUAGE):
        for kind, names in (choice_words(language).get(METHOD_KINDS) or {}).items():
            found.setdefault(kind, set()).update(plain(name) for name in names)
    return found


def _matching(methods: list[PaymentMethod], text: str, method_type: object,
              kinds: dict[str, set[str]] | None = None) -> list[PaymentMethod]:
    kinds = kinds if kinds is not None else {
        kind: set(names) for kind, names in choice_words(DEFAULT_LANGUAGE)[METHOD_KINDS].items()}
    text = plain(text)
    words = set(re.findall(r"[a-z]+|\d{4}", text))
    by_last4 = [m for m in methods if m.last4 in words]
    if by_last4:
        return by_last4
    by_brand = [m for m in methods if m.brand.lower() in words
                or (m.nickname and plain(m.nickname) in text)]
    if by_brand:
        return by_brand
    return [m for m in methods
            if method_type == m.kind or words & kinds.get(m.kind, set())]


def _title(method: PaymentMethod, domain: Domain, tracker: Tracker) -> str:
    label = method_title(method, domain, tracker)
    return words(domain, tracker, "utter_method_default", method=label) if method.is_default \
        else label
