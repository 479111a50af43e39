"""Texts composed by actions and services' refusals come out in the member's language."""

from __future__ import annotations

import datetime as dt

from rasa_sdk import Tracker

from dialogs.actions.texts import buttons, long_date, money, refusal_text, text
from services.error_texts import error_text, formatted_values
from services.errors import InvalidAmount

DOMAIN = {"responses": {
    "utter_owed": [
        {"text": "You owe {amount}.", "buttons": [{"title": "Pay {amount}", "payload": "/pay"}]},
        {"text": "Debe {amount}.", "buttons": [{"title": "Pagar {amount}", "payload": "/pay"}],
         "condition": [{"type": "slot", "name": "language", "value": "es"}]},
    ]}}


def _tracker(language: str | None) -> Tracker:
    return Tracker("member", {"language": language}, {}, [], False, None, None, "action_listen")


def test_a_text_comes_in_the_members_language_and_english_by_default():
    assert text(DOMAIN, _tracker("es"), "utter_owed", amount="$5.00") == "Debe $5.00."
    assert text(DOMAIN, _tracker(None), "utter_owed", amount="$5.00") == "You owe $5.00."
    assert text(DOMAIN, _tracker("xx"), "utter_owed", amount="$5.00") == "You owe $5.00."
    assert buttons(DOMAIN, _tracker("es"), "utter_owed", amount="$5")[0]["title"] == "Pagar $5"


def test_values_are_formatted_for_the_language():
    assert long_date(dt.date(2026, 12, 23), _tracker("es")) == "23 de diciembre de 2026"
    assert money(1234550, _tracker("en")) == "$12,345.50"


def test_a_refusal_with_a_key_reads_in_the_language_and_falls_back_to_english():
    error = InvalidAmount("That's more than the $10.00 you owe.", key="no_such_key_anywhere",
                          owed_cents=1000)
    assert error_text(error, "es") == error.message
    assert refusal_text(error, _tracker("es")) == error.message
    assert formatted_values({"owed_cents": 1000, "day": dt.date(2026, 12, 23)}, "es") \
        == {"owed": "$10.00", "day": "23 de diciembre de 2026"}
