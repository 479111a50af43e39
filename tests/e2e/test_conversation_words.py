"""Words members use, understood through the REST channel: amounts in words and shares of the
balance, reminder days and quiet hours in words, typos in a choice, and general questions
answered without an account."""

from __future__ import annotations

import pytest


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
])
@pytest.mark.parametrize("logged_in", [False, True])
def test_general_questions_are_answered_without_an_account(rest_chat, question, answered,
                                                           logged_in):
    if logged_in:
        rest_chat.log_in("alex")

    rest_chat.say(question)

    assert answered in rest_chat.text
    assert "log in" not in rest_chat.text.lower()
