"""Replies at a credential prompt (the username before the password, the question chooser
before a security answer) that are not used as that credential are kept out of storage."""

from __future__ import annotations

import pytest
from rasa_sdk.events import SlotSet, UserUttered

from dialogs.engine.redaction import (
    REDACTED,
    looks_like_a_password,
    redact_for_storage,
    refused_answer,
    unaccepted_at_prompt,
)

PROMPTS = ["username", "security_question_1"]


def said(text: str, intent: str) -> dict:
    return dict(UserUttered(text, {"text": text, "intent": {"name": intent}, "entities": []}))


@pytest.mark.parametrize("text, intent, hidden", [
    ("Quiet-Lantern-Harbor-77", "nlu_fallback", True),
    ("correct horse battery staple", "nlu_fallback", True),  # a passphrase
    ("hunter22", "forgot_password", True),  # understood as a request, but looks like a password
    ("p@ss", "inform", True),
    ("whats my balance", "check_balance", False),
    ("log in", "log_in", False),
    ("help!", "help", False),
])
def test_a_reply_not_taken_as_the_answer_is_hidden_unless_it_is_a_request(text, intent, hidden):
    event = said(text, intent)
    refused = [event, dict(SlotSet("username", None))]

    assert unaccepted_at_prompt(event, refused, "username", PROMPTS, payload=False) is hidden


def test_an_accepted_answer_a_button_and_other_prompts_are_kept():
    event = said("jordan.lee", "nlu_fallback")
    accepted = [event, dict(SlotSet("username", "jordan.lee"))]

    assert not unaccepted_at_prompt(event, accepted, "username", PROMPTS, payload=False)
    assert not unaccepted_at_prompt(event, [event], "username", PROMPTS, payload=True)
    assert not unaccepted_at_prompt(event, [event], "payment_amount", PROMPTS, payload=False)


def test_a_withheld_slot_keeps_no_value_and_no_seal():
    stored = redact_for_storage([dict(SlotSet("username", "Quiet-Lantern-Harbor-77"))], [],
                                withheld_slots=["username"], seal=lambda value: "sealed!")

    assert stored == [dict(SlotSet("username", REDACTED))]


def test_an_answer_the_form_refuses_later_is_redacted_where_it_was_stored():
    stored = [said("log in", "log_in"), said("Quiet-Lantern-Harbor-77", "nlu_fallback"),
              dict(SlotSet("username", "Quiet-Lantern-Harbor-77")), dict(SlotSet("other", 1))]
    this_turn = [said("[redacted]", "inform"), dict(SlotSet("username", None))]

    replaced = refused_answer(stored, this_turn, "username", PROMPTS)

    assert sorted(replaced) == [1, 2]
    assert replaced[1]["text"] == replaced[1]["parse_data"]["text"] == REDACTED
    assert replaced[2]["value"] == REDACTED
    # An answer given turns ago (a log-in that worked) is not the one refused now.
    older = [*stored, dict(SlotSet("username", None)), said("hi", "greet")]
    assert refused_answer(older, this_turn, "username", PROMPTS) == {}
    # Not asked again, or not cleared this turn: nothing was refused.
    assert refused_answer(stored, this_turn, None, PROMPTS) == {}
    assert refused_answer(stored, this_turn[:1], "username", PROMPTS) == {}


@pytest.mark.parametrize("text, looks", [
    ("hunter2", True), ("Quiet-Lantern-Harbor-77", True), ("p@ss", True), ("jordan.lee", False),
    ("Biscuit", False), ("log in", False), ("help!", False), ("", False),
])
def test_what_looks_like_a_password(text, looks):
    assert looks_like_a_password(text) is looks
