"""Responses from the domain: variations, language keying, slot templates, buttons."""

from __future__ import annotations

import random

from dialogs.engine.domain import Domain
from dialogs.engine.responses import ResponseGenerator

RESPONSES = {
    "utter_hello": [
        {"text": "Hello {name}!"},
        {"text": "Hi {name}!"},
        {"condition": [{"type": "slot", "name": "language", "value": "es"}],
         "text": "¡Hola {name}!"},
    ],
    "utter_menu": [{"text": "Pick one, {name}:",
                    "buttons": [{"title": "Pay {amount}", "payload": "/make_payment"}]}],
    "utter_secret": [{"text": "Your password is {password}."}],
}


def generator(seed: int = 0) -> ResponseGenerator:
    return ResponseGenerator(RESPONSES, hidden_slots={"password"}, rng=random.Random(seed))


def test_variations_are_picked_at_random_and_a_seed_repeats_the_pick():
    english = {"language": "en", "name": "Ana"}

    picks = [generator(seed).render("utter_hello", english)["text"] for seed in range(20)]

    assert set(picks) == {"Hello Ana!", "Hi Ana!"}
    assert picks == [generator(seed).render("utter_hello", english)["text"]
                     for seed in range(20)]


def test_a_variation_for_the_language_comes_first():
    assert generator().render("utter_hello", {"language": "es", "name": "Ana"})["text"] \
        == "¡Hola Ana!"


def test_a_language_without_its_own_variation_gets_the_default():
    assert generator().render("utter_menu", {"language": "es", "name": "Ana"})["text"] \
        == "Pick one, Ana:"


def test_templates_take_slots_then_values_from_the_action_and_fill_buttons():
    message = generator().render("utter_menu", {"name": "Ana", "amount": "$1"}, amount="$41.25")

    assert message["buttons"] == [{"title": "Pay $41.25", "payload": "/make_payment"}]


def test_unknown_placeholders_stay_and_sensitive_slots_never_show():
    message = generator().render("utter_secret", {"password": "hunter2"})

    assert message["text"] == "Your password is {password}."


def test_no_such_response():
    assert generator().render("utter_nothing", {}) is None


def test_the_domain_greets_in_spanish_when_the_language_slot_says_so():
    domain = Domain.load()
    spanish = ResponseGenerator(domain.responses).render("utter_greet", {"language": "es"})

    assert spanish["text"].startswith("¡Hola! Soy HealthPay.")
