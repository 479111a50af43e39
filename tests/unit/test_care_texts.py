"""The care conversations' texts in the member's language: the pieces actions compose
(dialogs/actions/care_texts.py), decline explanations per language (services/troubleshooting),
timeline notes and answers, and the log-in rule that the chat's language and the account's
agree (dialogs/actions/member_session.agree_language)."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from dialogs.actions.care_texts import (
    answer_within,
    clock_time,
    method_name,
    month_and_year,
    ordinal,
)
from dialogs.actions.member_session import agree_language, chat_language_choice
from dialogs.actions.missing_payment import NOTE_KINDS, _note
from dialogs.engine import Domain
from dialogs.engine.domain import DATA_DIR
from services import payment_outcomes
from services.answer_texts import answers_for
from services.external_payments import PAID_NOTE
from services.member_language import language_of, save_language
from services.troubleshooting import DEFAULT_TROUBLESHOOTING_FILE, explain_decline
from tests.factories import make_member, use_fast_password_hashing

RAW = yaml.safe_load(DEFAULT_TROUBLESHOOTING_FILE.read_text())
SPANISH = yaml.safe_load((DATA_DIR / "languages" / "es" / "troubleshooting.yml").read_text())


@pytest.fixture(scope="module")
def domain() -> dict:
    return Domain.load().raw


def tracker(language: str | None = None, events: list | None = None) -> Tracker:
    return Tracker("rest:1", {"language": language}, {}, events or [], False, None, {},
                   "action_listen")


def test_ordinals_by_the_languages_own_rules(domain):
    english = [ordinal(domain, tracker("en"), n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23)]
    assert english == ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd",
                       "23rd"]
    assert [ordinal(domain, tracker("es"), n) for n in (1, 2, 23)] == ["1", "2", "23"]


def test_months_times_and_answer_times_in_the_members_language(domain):
    svc = SimpleNamespace(policy=SimpleNamespace(time_zone="America/New_York"))
    at = dt.datetime(2026, 12, 4, 20, 45, tzinfo=dt.UTC)
    assert month_and_year(dt.date(2026, 12, 1), tracker("en")) == "December 2026"
    assert month_and_year(dt.date(2026, 12, 1), tracker("es")) == "diciembre de 2026"
    assert clock_time(svc, at, tracker("en")) == "3:45 PM"
    assert clock_time(svc, at, tracker("es")) == "3:45 p.m."
    assert answer_within(domain, tracker("es"), "1 business day") == "1 día hábil"
    assert answer_within(domain, tracker("es"), "2 business days") == "2 días hábiles"
    assert answer_within(domain, tracker("en"), "2 business days") == "2 business days"
    assert answer_within(domain, tracker("es"), "48 hours") == "48 hours", "as the policy says"


def test_a_method_named_in_the_members_language(domain):
    card = SimpleNamespace(brand="Visa", last4="4242", nickname=None, kind="card",
                           exp_month=1, exp_year=2026)
    bank = SimpleNamespace(brand="Checking", last4="6789", nickname="Work", kind="bank_account",
                           exp_month=None, exp_year=None)
    today = dt.date(2026, 12, 4)
    assert method_name(domain, tracker("en"), card, on=today) == "Visa ending in 4242 (expired)"
    assert method_name(domain, tracker("es"), card, on=today) == "Visa terminada en 4242 (vencida)"
    assert method_name(domain, tracker("en"), bank) == "Work: Checking ending in 6789"
    assert method_name(domain, tracker("es"), bank) == "Work: Cuenta corriente terminada en 6789"


def test_every_decline_text_and_button_has_spanish():
    assert set(SPANISH["buttons"]) == set(RAW["buttons"])
    assert set(SPANISH["codes"]) == set(RAW["codes"])
    for code, entry in RAW["codes"].items():
        said = SPANISH["codes"][code]
        assert said["title"] and said["explanation"] and len(said["next_steps"]) \
            == len(entry["next_steps"]), code
        if "bank_account" in entry:
            assert len(said["bank_account"]["next_steps"]) \
                == len(entry["bank_account"]["next_steps"]), code


@pytest.mark.parametrize("code", sorted(RAW["codes"]))
@pytest.mark.parametrize("kind", ["card", "bank_account"])
def test_a_decline_in_spanish_keeps_its_meaning_and_buttons(code, kind):
    english = explain_decline(code, method_kind=kind)
    spanish = explain_decline(code, method_kind=kind, language="es")
    assert (spanish.shown_code, spanish.retryable_later) \
        == (english.shown_code, english.retryable_later)
    assert [intent for _, intent in spanish.suggested_buttons] \
        == [intent for _, intent in english.suggested_buttons]
    words = " ".join([spanish.title, spanish.explanation, *spanish.next_steps,
                      *(title for title, _ in spanish.suggested_buttons)])
    assert not re.search(r"\b(the|your|you|please|payment|card issuer)\b", words, re.I), words
    # Never a promise the exchange does not make.
    assert not re.search(r"plan(es)? de pago|recargo", words, re.I)


def test_a_hidden_decline_reads_as_the_generic_one_in_spanish_too():
    stolen = explain_decline("stolen_card", language="es")
    generic = explain_decline("generic_decline", language="es")
    assert (stolen.title, stolen.explanation, stolen.next_steps) \
        == (generic.title, generic.explanation, generic.next_steps)
    assert explain_decline("insufficient_funds", language="xx") \
        == explain_decline("insufficient_funds"), "a language without the file reads English"


def test_the_timeline_notes_are_the_ones_the_services_write(domain):
    english = {name: domain["responses"][f"utter_trace_note_{name}"][0]["text"]
               for name in NOTE_KINDS}
    written = {*payment_outcomes._NOTES.values(), payment_outcomes.UNANSWERED_NOTE,
               payment_outcomes.REFUSED_NOTE, PAID_NOTE, "Payment prepared, waiting for your "
               "go-ahead.", "Sent to the payment service."}
    assert set(english.values()) == written


def test_a_timeline_note_in_spanish_and_unchanged_in_english(domain):
    stored = "Bank payment submitted; it is settling with your bank. Expected by December 9, 2026."
    assert _note(domain, tracker("en"), stored, "processing") == stored
    assert _note(domain, tracker("es"), stored, "processing") \
        == "Pago bancario enviado; se está acreditando con su banco."
    refund = "We refunded $10.00 of your payment HC-1."
    assert _note(domain, tracker("en"), refund, "refunded") == refund
    assert _note(domain, tracker("es"), refund, "refunded") == "Reembolsado."


@given(st.integers(min_value=1, max_value=28))
def test_the_answers_name_the_due_day_without_an_english_suffix_in_spanish(day):
    answers = answers_for("es")
    assert answers["ordinals"]["other"].format(n=day) == str(day)
    assert answers_for("en")["ordinals"]["other"].format(n=day) == f"{day}th"


@pytest.fixture
def member(services, monkeypatch):
    use_fast_password_hashing(monkeypatch)
    return make_member(services)


def test_a_choice_made_in_the_chat_is_saved_on_the_account_at_log_in(services, member):
    chat = tracker("es", [{"event": "slot", "name": "language", "value": "es"}])
    assert chat_language_choice(chat) == "es"

    assert agree_language(chat, member.id) == []
    assert language_of(services, member.id) == "es"


def test_a_chat_with_no_choice_takes_the_accounts_language(services, member):
    save_language(services, member.id, "es")

    assert agree_language(tracker(None), member.id) == [SlotSet("language", "es")]
    assert agree_language(tracker("es"), member.id) == []


# --- autopay in members' words (data/languages/<code>/autopay_words.yml) --------------------


def said(text: str, language: str = "es", date: str | None = None) -> Tracker:
    entities = [{"entity": "date", "value": date}] if date else []
    return Tracker("rest:1", {"language": language}, {"text": text, "entities": entities}, [],
                   False, None, {}, "action_listen")


@pytest.mark.parametrize(("text", "action"), [
    ("quiero pausar el pago automático", "pause"), ("suspender el autopay", "pause"),
    ("reanudar mi pago automatico", "resume"), ("vuelva a activar el pago", "resume"),
    ("pause my autopay", "pause"), ("turn it back on", "resume"), ("cambiar el monto", None)])
def test_what_a_typed_message_asks_of_autopay(text, action):
    from dialogs.actions.autopay_flows import _action_in_words

    assert _action_in_words(text) == action


@pytest.mark.parametrize(("text", "days_later"), [
    ("pausar por un mes", 31), ("pausar por dos semanas", 14), ("pausa por 3 dias", 3),
    ("pause it for a month", 31), ("pause for 2 weeks", 14), ("pausar el pago", None)])
def test_a_pause_said_with_its_length_in_either_language(text, days_later):
    from dialogs.actions.autopay_flows import _pause_end

    today = dt.date(2026, 12, 4)
    end = _pause_end(said(text), text, today)
    assert ((end - today).days if end else None) == days_later


def test_a_pause_until_a_month_in_spanish():
    from dialogs.actions.autopay_flows import _pause_end

    assert _pause_end(said("pausar hasta enero"), "pausar hasta enero", dt.date(2026, 12, 4)) \
        == dt.date(2027, 1, 1)


def test_the_form_reads_spanish_answers():
    from dialogs.actions.autopay_words import autopay_words
    from dialogs.actions.money_texts import keyword_choice

    words = autopay_words().answers
    assert keyword_choice("el saldo completo", words["amount_rule"]) == "full_balance"
    assert keyword_choice("una cantidad fija", words["amount_rule"]) == "fixed"
    assert keyword_choice("cada tres meses", words["frequency"]) == "quarterly"
    assert keyword_choice("mensual", words["frequency"]) == "monthly"
    assert keyword_choice("the full balance", words["amount_rule"]) == "full_balance"
