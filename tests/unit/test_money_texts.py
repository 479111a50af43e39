"""The money conversations in the member's language: plans, statuses, methods, dates, the
grace warning and the review's "pays" line come from responses_money.yml; typed choices from
choices.yml. English through the domain reads exactly as English without one (the wording
the English e2e tests pin)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rasa_sdk import Tracker

from dialogs.actions.balance import balance_buttons, grace_warning
from dialogs.actions.choice_words import asks_a_question, choice, choice_words, keyword_choice
from dialogs.actions.method_choice import _matching, kind_words
from dialogs.actions.money_texts import (
    day,
    method_title,
    month,
    ordinal,
    plan_title,
    status_word,
    words,
)
from dialogs.actions.payment_confirm import paid_text
from dialogs.engine import Domain
from services.billing import AccountSummary, AutopayLine
from services.grace import GraceStatus
from services.language_files import LANGUAGES_DIR, use_language_dirs
from services.payment_trace import PaidLine
from services.persistence.models import PaymentMethod
from services.policy import load_policy
from tests.spanish_text import assert_spanish

TEST_LANGUAGES = Path(__file__).resolve().parents[1] / "data" / "languages"
# Words only an English sentence has: a Spanish text with one of them leaked English.

@pytest.fixture(scope="module")
def domain() -> dict:
    return Domain.load().raw


def chat(language: str | None) -> Tracker:
    return Tracker("member", {"language": language}, {}, [], False, None, None, "action_listen")


SPANISH, ENGLISH_CHAT = chat("es"), chat("en")


def grace(**changes) -> GraceStatus:
    values = dict(subsidy_type="connectorcare", first_unpaid_month=dt.date(2026, 10, 1),
                  past_due_since=dt.date(2026, 9, 24), past_due_cents=26_600, grace_months=3,
                  month_of_grace=2, coverage_at_risk_on=dt.date(2026, 12, 31),
                  notices_due=("past_due",), deadline_passed=False)
    return GraceStatus(**(values | changes))


GRACE_CASES = [
    {}, {"unpaid_months": (dt.date(2026, 10, 1), dt.date(2026, 11, 1))},
    {"unpaid_months": (dt.date(2026, 12, 1), dt.date(2027, 1, 1))},
    {"unpaid_months": (dt.date(2026, 9, 1), dt.date(2026, 10, 1), dt.date(2026, 11, 1))},
    {"grace_months": 0, "month_of_grace": 0}, {"deadline_passed": True},
]


@pytest.mark.parametrize("changes", GRACE_CASES)
def test_english_through_the_domain_reads_as_before(domain, changes):
    policy = load_policy()
    assert grace_warning(grace(**changes), policy, domain, ENGLISH_CHAT) \
        == grace_warning(grace(**changes), policy)


@pytest.mark.parametrize("changes", GRACE_CASES)
def test_the_grace_warning_in_spanish_has_no_english(domain, changes):
    text = grace_warning(grace(**changes), load_policy(), domain, SPANISH)
    assert_spanish(text)


def test_the_spanish_grace_warning_names_months_dates_and_agrees_in_number(domain):
    policy = load_policy()
    one = grace_warning(grace(), policy, domain, SPANISH)
    assert "Su prima de octubre de 2026, $266.00, está vencida" in one
    assert "mes 2 de su período de gracia de 3 meses" in one
    assert "31 de diciembre de 2026" in one
    two = grace_warning(grace(unpaid_months=(dt.date(2026, 12, 1), dt.date(2027, 1, 1))),
                        policy, domain, SPANISH)
    assert "Sus primas de diciembre de 2026 y enero de 2027, $266.00, están vencidas" in two
    three = grace_warning(grace(unpaid_months=(dt.date(2026, 9, 1), dt.date(2026, 10, 1),
                                               dt.date(2026, 11, 1))), policy, domain, SPANISH)
    assert "Sus primas de septiembre, octubre y noviembre de 2026" in three
    assert policy.phone in grace_warning(grace(deadline_passed=True), policy, domain, SPANISH)


def test_words_plans_statuses_and_methods_in_spanish(domain):
    assert plan_title("health", domain, SPANISH) == "Médico"
    assert plan_title("health", domain, ENGLISH_CHAT) == plan_title("health") == "Health"
    assert status_word("succeeded", domain, SPANISH) == "pagado"
    assert status_word("failed") == "returned, not paid"
    assert status_word("someday", domain, SPANISH) == "someday"  # no text: its name
    bank = PaymentMethod(kind="bank_account", brand="Checking", last4="6789", nickname="Work")
    visa = PaymentMethod(kind="card", brand="Visa", last4="4242", nickname=None)
    assert method_title(bank, domain, SPANISH) == "Work: Cuenta corriente terminada en 6789"
    assert method_title(visa) == "Visa ending in 4242"


def test_dates_and_ordinals_by_language(domain):
    date = dt.date(2026, 12, 23)
    assert (day(date), day(date, SPANISH)) == ("Wed, Dec 23", "mié, 23 de dic")
    assert (month(date), month(date, SPANISH)) == ("December 2026", "diciembre de 2026")
    assert [ordinal(n, domain, ENGLISH_CHAT) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23)] \
        == ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd"]
    assert ordinal(23) == "23rd"
    assert ordinal(23, domain, SPANISH) == "23"


def test_what_a_payment_pays_in_spanish(domain):
    lines = (PaidLine("health", "Harbor Health Silver 2", dt.date(2026, 12, 1), 41_250),
             PaidLine("dental", "BrightSmile", dt.date(2026, 12, 1), 2_900))
    assert paid_text(lines, 500, domain, SPANISH) == (
        "Médico, diciembre de 2026 ($412.50); Dental, diciembre de 2026 ($29.00); "
        "$5.00 de crédito para sus próximas facturas")
    assert paid_text((), 0, domain, SPANISH) == "nada todavía"
    assert paid_text(lines, 0) == paid_text(lines, 0, domain, ENGLISH_CHAT) \
        == "Health, December 2026 ($412.50); Dental, December 2026 ($29.00)"


def test_balance_buttons_in_spanish_keep_their_payloads(domain):
    summary = AccountSummary(account_id=1, member_name="Ana", subsidy_type="unsubsidized",
                             plans=(), total_due_cents=100, pending_cents=0, past_due_cents=0,
                             credit_cents=0, next_due_date=None,
                             autopay=AutopayLine(status="off", next_charge_on=None), grace=None)
    spanish = balance_buttons(summary, domain, SPANISH)
    assert [b["title"] for b in spanish] == ["Pagar ahora", "Activar pago automático",
                                             "Historial de pagos"]
    assert [b["payload"] for b in spanish] == [b["payload"] for b in balance_buttons(summary)]


@pytest.mark.parametrize(("typed", "language", "expected"), [
    ("los dos", "es", "both"), ("ambos, por favor", "es", "both"), ("el de salud", "es", "health"),
    ("Médico", "es", "health"), ("medico", "es", "health"), ("solo el dentista", "es", "dental"),
    ("both", "es", "both"), ("dental", "es", "dental"), ("mdico", "es", "health"),
    ("just health", "en", "health"), ("helth", "en", "health"), ("salud", "en", None),
    ("quiero pagar mi factura", "es", None), ("whatever", "en", None),
    ("quiero ver el detalle", "es", None), ("all of it", "es", "both"),
])
def test_a_typed_plan_is_read_in_the_members_language_and_english(typed, language, expected):
    assert choice(chat(language), "payment_plan", typed) == expected


@given(st.text(max_size=60))
def test_a_typed_choice_is_one_of_the_choices_or_none(typed):
    for language in ("en", "es"):
        assert choice(chat(language), "payment_plan", typed) in {None, "both", "health",
                                                                  "dental"}


@given(st.sampled_from(["médico", "Médico", "MÉDICO", "medico"]),
       st.sampled_from(["", "el ", "pago el plan "]))
def test_accents_and_case_do_not_matter(word, before):
    assert choice(SPANISH, "payment_plan", before + word) == "health"


def test_questions_are_told_from_requests_in_both_languages():
    assert asks_a_question(SPANISH, "¿Cómo puedo pagar?")
    assert asks_a_question(SPANISH, "how can I pay?")
    assert not asks_a_question(SPANISH, "quiero pagar")
    assert not asks_a_question(ENGLISH_CHAT, "¿cómo puedo pagar?")


def test_a_typed_method_in_spanish():
    visa = PaymentMethod(id=1, kind="card", brand="Visa", last4="4242", nickname=None)
    bank = PaymentMethod(id=3, kind="bank_account", brand="Checking", last4="6789",
                         nickname=None)
    assert _matching([visa, bank], "la cuenta del banco", None, kind_words(SPANISH)) == [bank]
    assert _matching([visa, bank], "con la tarjeta", None, kind_words(SPANISH)) == [visa]
    assert _matching([visa, bank], "con la tarjeta", None, kind_words(ENGLISH_CHAT)) == []


def test_a_language_adds_its_choice_words_as_data_only():
    use_language_dirs(LANGUAGES_DIR, TEST_LANGUAGES)
    try:
        words = choice_words("xx")
    finally:
        use_language_dirs()
    assert keyword_choice("zorp zorp", words["payment_plan"]) == "both"


def test_a_caller_without_the_domain_still_speaks_the_members_language():
    assert words(None, SPANISH, "utter_button_add_method") == "Agregar tarjeta o cuenta bancaria"
    assert plan_title("health", None, SPANISH) == "Médico"
    assert words(None, chat("xx"), "utter_button_add_method") == "Add a card or bank account"
    assert words(None, None, "utter_button_add_method") == "Add a card or bank account"
