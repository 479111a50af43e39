"""Words members use, understood through the REST channel: amounts in words and shares of the
balance, reminder days and quiet hours in words, typos in a choice, and general questions
answered without an account."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from services.persistence.models import Account, Payment

REFERENCE = re.compile(r"HC-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}")


@pytest.fixture
def alex(rest_chat):
    rest_chat.log_in("alex")
    return rest_chat


@pytest.mark.parametrize(("said", "amount"), [
    ("half", "$206.25"),
    ("everything i owe", "$412.50"),
    ("a hundred and fifty dollars", "$150.00"),
    ("one hundred", "$100.00"),
])
def test_an_amount_in_words_or_a_share_of_the_balance(alex, said, amount):
    alex.say("I want to pay my bill")
    alex.tap("Health")

    alex.say(said)
    assert "Which method" in alex.text
    alex.tap("Visa")

    assert f"• Amount: {amount}" in alex.text


def test_a_plan_typed_with_a_typo(alex):
    alex.say("I want to pay my bill")

    alex.say("helth")

    assert "You owe $412.50 on your health plan" in alex.text


def test_a_fixed_autopay_amount_given_with_its_rule(alex):
    alex.say("/setup_autopay")
    alex.tap("Visa")

    alex.say("a fixed amount of fifty dollars")

    assert "How often should autopay pay?" in alex.text


def test_reminder_days_and_quiet_hours_in_words_are_all_kept(alex):
    alex.say("/reminder_settings")
    alex.say("yes")
    alex.say("a week before and the day before")
    alex.say("not after 10 at night or before 7")

    assert ("Saved: a reminder 7 and 1 days before each due date, and none between 10pm and "
            "7am.") in alex.text


@pytest.mark.parametrize(("question", "answered"), [
    ("can i pay over the phone", "1-877-623-6765"),
    ("what payment methods do you accept", "1-877-623-6765"),
    ("how long does a bank transfer take", "4 business days"),
    ("is it safe to put my card in here", "secure page"),
    ("is dental a separate bill", "billed separately"),
    ("are dental and health separate", "billed separately"),
    ("is my card info safe", "secure page"),
    ("can i pay with a check", "money order"),
])
@pytest.mark.parametrize("logged_in", [False, True])
def test_general_questions_are_answered_without_an_account(rest_chat, question, answered,
                                                           logged_in):
    if logged_in:
        rest_chat.log_in("alex")

    rest_chat.say(question)

    assert answered in rest_chat.text
    assert "log in" not in rest_chat.text.lower()


def test_pause_autopay_for_a_month_resumes_on_a_date_said_back(rest_chat):
    rest_chat.log_in("maria")

    rest_chat.say("pause autopay for a month")
    assert "Pause autopay until Thu, Dec 17?" in rest_chat.text
    assert "Cancel autopay" not in rest_chat.text
    rest_chat.tap("Pause autopay")

    assert "Autopay is paused until Thu, Dec 17: it starts again by itself" in rest_chat.text
    rest_chat.say("/setup_autopay")
    assert "Your autopay is paused until Thu, Dec 17" in rest_chat.text


@pytest.mark.parametrize(("said", "until"), [
    ("pause my autopay until january", "Fri, Jan 1"),
    ("can you stop autopay for 3 weeks", "Tue, Dec 8"),
    ("pause autopay for 10 days", "Fri, Nov 27"),
])
def test_a_pause_said_with_its_end(rest_chat, said, until):
    rest_chat.log_in("maria")

    rest_chat.say(said)

    assert f"Pause autopay until {until}?" in rest_chat.text


@pytest.mark.parametrize(("said", "shown"), [
    ("change my autopay amount to $50", "• Pays: $50.00 each time"),
    ("change autopay to 5 days before", "• When: 5 days before each due date"),
    ("lower my autopay to 60 dollars", "• Pays: $60.00 each time"),
    ("autopay 2 days before instead", "• When: 2 days before each due date"),
])
def test_an_autopay_change_keeps_the_new_value_said_with_it(rest_chat, said, shown):
    rest_chat.log_in("maria")

    rest_chat.say(said)

    assert "Please check the new terms" in rest_chat.text
    assert shown in rest_chat.text
    rest_chat.tap("Confirm")
    assert "Autopay is updated" in rest_chat.text


def test_did_it_go_through_right_after_a_bank_payment(alex):
    alex.say("I want to pay my bill")
    alex.tap("Health")
    alex.tap("Pay")
    alex.tap("Checking")
    alex.tap("Confirm")
    reference = REFERENCE.search(alex.text).group()

    alex.say("did it go through")

    assert f"Payment {reference}: $412.50 from Checking ending in 6789, processing" in alex.text
    assert "didn't go through" not in alex.text


@pytest.mark.parametrize("written", [str, str.lower, lambda ref: ref.replace("-", "")])
def test_a_bare_payment_reference_gets_that_payments_status(rest_chat, app_runtime, written):
    svc = app_runtime.services
    with svc.uow() as uow:
        reference = uow.session.scalar(
            select(Payment.reference).join(Account, Account.id == Payment.account_id)
            .where(Account.username == "dana", Payment.status == "processing"))
    rest_chat.log_in("dana")

    rest_chat.say(written(reference))

    assert f"Payment {reference}: $354.00" in rest_chat.text
    assert "processing" in rest_chat.text


def test_paying_a_plan_that_is_paid_asks_before_paying_another(alex):
    alex.say("I want to pay my bill")
    alex.tap("Dental")
    alex.tap("Pay")
    alex.tap("Visa")
    alex.tap("Confirm")

    alex.say("pay 10 on dental")

    assert "Your dental plan is already paid" in alex.text
    assert "Would you like to pay your health plan instead?" in alex.text
    assert "Please check your payment" not in alex.text
    alex.tap("Health")
    assert "You owe $412.50 on your health plan. How much" in alex.text


@pytest.mark.parametrize("question", ["how can i pay", "how do i pay by phnoe"])
def test_a_visitor_asking_how_to_pay_gets_the_ways_and_is_offered_the_log_in(rest_chat,
                                                                              question):
    rest_chat.say(question)

    assert "1-877-623-6765" in rest_chat.text
    assert [b["title"] for b in rest_chat.buttons] == ["Log in", "Create an account"]
    assert "username" not in rest_chat.text.lower()


def test_a_visitor_who_wants_to_pay_is_asked_to_log_in(rest_chat):
    rest_chat.say("i want to pay my bill now")

    assert "What's your username?" in rest_chat.text
