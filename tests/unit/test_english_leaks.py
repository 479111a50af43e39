"""The English-leak detector of the Spanish end-to-end tests (tests/e2e/spanish), tuned both
ways on our own texts: every English response of the domain is caught, and no Spanish text of
data/languages/es trips it."""

from __future__ import annotations

import re

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.engine import Domain
from dialogs.engine.domain import DATA_DIR
from tests.e2e.spanish.english_leaks import assert_no_english, english_in, english_sentences

SPANISH_DIR = DATA_DIR / "languages" / "es"
# English texts that are Spanish too: the language menu, "No", "Dental", and "Health", which a
# Spanish text shows in a plan's name ("Harbor Health Silver 2").
NOT_ENGLISH_ALONE = {"No", "English", "Español", "Language / Idioma", "Dental", "Health"}
# Or only values: "{plan} — {amount}", "{day}rd", "{hour}pm" (Spanish writes "9pm" too).
_ONLY_VALUES = re.compile(r"^(?:\{\w+\}|[^A-Za-z]|st|nd|rd|th|am|pm)*$")


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load()


def _texts_of(variations: list[dict]) -> list[str]:
    return [text for v in variations
            for text in [v.get("text") or "", *(b["title"] for b in v.get("buttons") or ())]
            if text]


def _english_texts(domain: Domain) -> list[str]:
    return [text for variations in domain.responses.values()
            for text in _texts_of([v for v in variations if not v.get("condition")])]


def _spanish_texts(domain: Domain) -> list[str]:
    return [text for variations in domain.responses.values()
            for text in _texts_of([v for v in variations
                                   if any(c.get("value") == "es"
                                          for c in v.get("condition") or ())])]


def _strings(tree: object) -> list[str]:
    if isinstance(tree, dict):
        return [s for value in tree.values() for s in _strings(value)]
    if isinstance(tree, list):
        return [s for value in tree for s in _strings(value)]
    return [tree] if isinstance(tree, str) else []


@pytest.mark.parametrize("text", [
    "Please check your payment:",
    "Autopay is on. Next charge: Fri, Nov 20",
    "Sorry, I didn't understand.",
    "Su pago quedó listo. Something went wrong on our side.",
    "Pay $441.50",
    "Visa ending in 4242",
    "You’re logged out.",
    "Talk to a person",
    "<b>Welcome back</b>, Alex!",
])
def test_an_english_sentence_is_caught(text):
    assert english_sentences(text)


@pytest.mark.parametrize("text", [
    "¡Hola! Soy HealthPay. Le ayudo a pagar las primas de su plan de salud.",
    "Pago recibido: US$441.50 con Visa terminada en 4242 (referencia HC-AB2C-3DEF).",
    "Llame al Health Connector al 1-877-623-6765 (TTY 711).",
    "Los miembros de ConnectorCare tienen un período de gracia de 3 meses.",
    "No, gracias. Me he equivocado: a mí no me cobre el total del plan dental.",
    "Abra este enlace: http://127.0.0.1:8000/methods/setup/abc-def-please",
    "Idioma / Language",
    "English",
    "Le escribimos a jordan@example.com. Su solicitud SR-20261117-0001 está abierta.",
    "Menú · Día 23",
])
def test_a_spanish_sentence_with_our_names_is_not_caught(text):
    assert english_sentences(text) == []


def test_every_english_response_of_the_domain_is_caught(domain):
    missed = [text for text in _english_texts(domain)
              if not english_sentences(text) and text not in NOT_ENGLISH_ALONE
              and not _ONLY_VALUES.match(text)]
    assert missed == []


def test_no_spanish_response_trips_the_detector(domain):
    assert english_in(_spanish_texts(domain)) == []


def test_no_spanish_answer_notice_refusal_or_command_trips_the_detector():
    texts = []
    for name in ("answers.yml", "notices.yml", "errors.yml", "pages.yml", "language.yml"):
        path = SPANISH_DIR / name
        if path.exists():
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            data.pop("choice_words", None)  # what a member may type, English ones included
            # Button payloads ("/make_payment") are never shown.
            texts += [s for s in _strings(data) if not s.startswith("/")]
    assert texts
    assert english_in(texts) == []


def test_the_assertion_names_each_leaked_sentence_once():
    with pytest.raises(AssertionError) as raised:
        assert_no_english(["Hola. Please log in.", "Please log in.", "Listo."])
    assert str(raised.value).count("Please log in.") == 1
    assert "Listo" not in str(raised.value)


_DOMAIN = Domain.load()
_SPANISH = sorted(set(_spanish_texts(_DOMAIN)))
_ENGLISH = sorted({text for text in _english_texts(_DOMAIN)
                   if text not in NOT_ENGLISH_ALONE and not _ONLY_VALUES.match(text)})


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_SPANISH), min_size=1, max_size=4),
       st.sampled_from(_ENGLISH), st.integers(min_value=0, max_value=4))
def test_an_english_text_among_spanish_ones_is_found_and_only_it(spanish, english, at):
    texts = list(spanish)
    texts.insert(min(at, len(texts)), english)

    found = english_in(["\n".join(texts)])

    assert found
    assert all(sentence in english for sentence in found)
