"""Forms that know an answer from a question, through the REST channel: at every prompt a message
that fits the answer is taken, anything else is understood as what it is (a question is answered
and the prompt comes back, "cancel" cancels), secret answers are never read as commands, and no
prompt can hold a member forever."""

from __future__ import annotations

from services import accounts
from services.accounts import LOGIN_FAILED, SECURITY_QUESTIONS
from services.persistence.models import Account
from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.test_conversation_access import (
    NEW_PASSWORD,
    account_id,
    answer_identity,
    logged_in_as,
)

USERNAME_PROMPT = "What's your username?"
PASSWORD_PROMPT = "And your password?"
WAY_OUT = "If this isn't working"


def prompts(chat) -> list[str]:
    return [reply.get("text") or "" for reply in chat.replies]


# --- the log-in ---------------------------------------------------------------------------


def test_a_question_at_the_username_prompt_is_not_a_username(rest_chat, app_runtime):
    rest_chat.say("/log_in")

    rest_chat.say("whats my balance")

    assert PASSWORD_PROMPT not in rest_chat.text
    assert "let's log you in" in rest_chat.text
    assert rest_chat.text.endswith(USERNAME_PROMPT), "asked for the username again"
    rest_chat.say("alex")
    assert PASSWORD_PROMPT in rest_chat.text
    rest_chat.say(DEMO_PASSWORD)
    assert "Welcome back, Alex!" in rest_chat.text
    assert "Total due: $441.50" in rest_chat.text, "the balance asked for comes after"


def test_log_in_typed_at_the_username_prompt_asks_for_the_username_again(rest_chat):
    rest_chat.say("I want to log in")

    rest_chat.say("log in")

    assert prompts(rest_chat) == [USERNAME_PROMPT]
    rest_chat.say("alex")
    assert PASSWORD_PROMPT in rest_chat.text


def test_a_wrong_password_asks_for_the_password_again_keeping_the_username(rest_chat,
                                                                         app_runtime):
    rest_chat.say("/log_in")
    rest_chat.say("alex")

    rest_chat.say("not-the-password-1")

    assert rest_chat.deleted
    assert LOGIN_FAILED in rest_chat.text
    assert rest_chat.replies[-1]["text"].startswith(PASSWORD_PROMPT)
    assert USERNAME_PROMPT not in rest_chat.text
    rest_chat.say(DEMO_PASSWORD)
    assert "Welcome back, Alex!" in rest_chat.text
    assert logged_in_as(app_runtime) == account_id(app_runtime, "alex")


def test_the_member_is_warned_before_the_try_that_locks_the_account(rest_chat, app_runtime):
    rest_chat.say("/log_in")
    rest_chat.say("alex")
    for _ in range(3):
        rest_chat.say("not-the-password-1")
        assert "one more wrong password" not in rest_chat.text

    rest_chat.say("not-the-password-1")

    assert ("Careful: one more wrong password will pause logging in to your account for 15 "
            "minutes" in rest_chat.text)
    assert "Reset my password" in [b["title"] for b in rest_chat.buttons]
    rest_chat.say("not-the-password-1")
    assert "logging in to this account is paused until 10:15 AM" in rest_chat.text


def test_the_warning_counts_the_failures_of_the_username_being_tried(rest_chat):
    rest_chat.say("/log_in")
    rest_chat.say("stranger")
    for _ in range(3):
        rest_chat.say("not-the-password-1")
    rest_chat.say("/cancel")
    rest_chat.say("/log_in")
    rest_chat.say("alex")

    rest_chat.say("not-the-password-1")

    assert LOGIN_FAILED in rest_chat.text and "one more wrong password" not in rest_chat.text


def test_entering_the_password_again_warns_before_the_lock_too(rest_chat, clock):
    rest_chat.log_in("alex")
    clock.advance(minutes=16)  # idle: a money action asks for the password again
    rest_chat.say("/make_payment")
    for _ in range(3):
        rest_chat.say("not-the-password-1")
        assert "one more wrong password" not in rest_chat.text

    rest_chat.say("not-the-password-1")

    assert "one more wrong password will pause logging in to your account" in rest_chat.text


def test_an_unknown_username_is_warned_the_same_way(rest_chat, another_chat):
    for chat, username in ((rest_chat, "alex"), (another_chat, "nobody.here")):
        chat.say("/log_in")
        chat.say(username)
        for _ in range(4):
            chat.say("not-the-password-1")

    assert prompts(rest_chat) == prompts(another_chat)


def test_a_button_tapped_at_the_password_prompt_is_that_button_not_a_password(rest_chat):
    rest_chat.say("/log_in")
    rest_chat.say("alex")
    rest_chat.say("not-the-password-1")

    rest_chat.tap("I forgot my password")

    assert LOGIN_FAILED not in rest_chat.text
    assert "then you can set a new password" in rest_chat.text
    assert "date of birth" in rest_chat.text, "the reset goes on for the username given"


# --- a reply that needs a log-in starts it ----------------------------------------------


def test_please_log_in_first_takes_the_next_message_as_the_username(rest_chat, app_runtime):
    rest_chat.say("show my payment history")
    assert "let's log you in" in rest_chat.text

    rest_chat.say("alex")

    assert "didn't understand" not in rest_chat.text
    assert PASSWORD_PROMPT in rest_chat.text
    rest_chat.say(DEMO_PASSWORD)
    assert rest_chat.deleted
    assert logged_in_as(app_runtime) == account_id(app_runtime, "alex")


# --- secret answers -------------------------------------------------------------------------


def open_account_up_to_the_first_security_answer(chat) -> None:
    chat.say("/create_account")
    answer_identity(chat)
    chat.say("jordan.lee")
    chat.say(NEW_PASSWORD)
    chat.tap(SECURITY_QUESTIONS[0])


def test_a_security_answer_that_looks_like_a_word_is_the_answer(rest_chat, app_runtime):
    open_account_up_to_the_first_security_answer(rest_chat)

    rest_chat.say("Biscuit")

    assert rest_chat.deleted
    assert "I've stopped that" not in rest_chat.text
    assert "second, different security question" in rest_chat.text
    rest_chat.tap(SECURITY_QUESTIONS[1])
    rest_chat.say("Stop Sign Street")  # a cancel word in an answer: still the answer
    assert "Your account is ready, Jordan" in rest_chat.text
    with app_runtime.services.uow() as uow:
        assert uow.session.get(Account, account_id(app_runtime, "jordan.lee")) is not None


def test_an_exact_cancel_word_at_a_secret_prompt_cancels(rest_chat, app_runtime):
    open_account_up_to_the_first_security_answer(rest_chat)

    rest_chat.say("Cancel")

    assert "I've stopped that" in rest_chat.text
    assert account_id(app_runtime, "jordan.lee") is None


def test_a_security_question_typed_by_its_title_chooses_it(rest_chat):
    rest_chat.say("/create_account")
    answer_identity(rest_chat)
    rest_chat.say("jordan.lee")
    rest_chat.say(NEW_PASSWORD)

    rest_chat.say("what was the name of your frist pet")  # no question mark, a typo

    assert rest_chat.text.startswith(SECURITY_QUESTIONS[0])


# --- menus, amounts, methods ----------------------------------------------------------------


def test_a_menu_title_typed_as_text_chooses_that_item(rest_chat):
    rest_chat.say("help")

    rest_chat.say("questions about premiums")

    assert "What would you like to know?" in rest_chat.text
    rest_chat.say("other ways to pay")
    assert "1-877-623-6765" in rest_chat.text


def test_a_menu_title_typed_in_the_middle_of_a_form_is_answered_and_the_form_goes_on(
        rest_chat):
    rest_chat.log_in("alex")
    rest_chat.say("pay my health bill")

    rest_chat.say("questions about premiums")

    assert "What would you like to know?" in rest_chat.text
    assert "I've stopped that" not in rest_chat.text
    assert rest_chat.replies[-1]["text"].endswith("How much would you like to pay?")
    rest_chat.say("100")
    assert "Which method would you like to pay with?" in rest_chat.text


def test_nah_cancel_that_at_the_amount_step_cancels(rest_chat):
    rest_chat.log_in("alex")
    rest_chat.say("pay my health bill")
    assert "How much would you like to pay?" in rest_chat.text

    rest_chat.say("nah cancel that")

    assert "I've stopped that" in rest_chat.text
    assert "couldn't read that as an amount" not in rest_chat.text


def test_a_question_at_the_payment_method_step_is_answered_and_the_step_asked_again(rest_chat):
    rest_chat.log_in("alex")
    rest_chat.say("pay my health bill")
    rest_chat.say("$100")
    assert "Which method would you like to pay with?" in rest_chat.text

    rest_chat.say("how do I pay by mail")

    assert "P.O. Box 970063" in rest_chat.text
    assert rest_chat.replies[-1]["text"] == "Which method would you like to pay with?"
    rest_chat.say("can I pay with a credit card?")  # read as "make a payment": not a restart
    assert rest_chat.replies[-1]["text"] == "Which method would you like to pay with?"
    rest_chat.say("visa")
    assert "Please check your payment" in rest_chat.text
    assert "$100.00" in rest_chat.text


def test_a_question_at_the_amount_step_keeps_the_answers_given(rest_chat):
    rest_chat.log_in("alex")
    rest_chat.say("pay my dental bill")

    rest_chat.say("whats my balance")

    assert "Total due: $441.50" in rest_chat.text
    assert rest_chat.replies[-1]["text"] == ("You owe $29.00 on your dental plan. How much "
                                             "would you like to pay?")


def test_a_prompt_answered_wrongly_again_and_again_offers_a_way_out(rest_chat):
    rest_chat.log_in("alex")
    rest_chat.say("pay my health bill")
    for _ in range(2):
        rest_chat.say("lots")
        assert WAY_OUT not in rest_chat.text

    rest_chat.say("lots")

    assert WAY_OUT in rest_chat.text
    assert [b["title"] for b in rest_chat.replies[-1]["buttons"]] == ["Cancel",
                                                                     "Talk to a person"]
    rest_chat.tap("Cancel")
    assert "I've stopped that" in rest_chat.text


# --- answers the way members type them ------------------------------------------------------


def test_cancel_said_in_more_words_at_the_password_prompt_cancels_and_counts_no_try(
        rest_chat, app_runtime):
    rest_chat.say("/log_in")
    rest_chat.say("alex")

    rest_chat.say("pls cancel")

    assert "I've stopped that" in rest_chat.text and LOGIN_FAILED not in rest_chat.text


def test_i_forgot_it_at_the_password_prompt_starts_the_reset(rest_chat):
    rest_chat.say("/log_in")
    rest_chat.say("alex")

    rest_chat.say("i forgot it")

    assert LOGIN_FAILED not in rest_chat.text
    assert "then you can set a new password" in rest_chat.text


def test_words_put_before_an_answer_are_left_out(rest_chat, app_runtime):
    rest_chat.say("/log_in")
    rest_chat.say("my username is alex")
    rest_chat.say(DEMO_PASSWORD)
    assert logged_in_as(app_runtime) == account_id(app_runtime, "alex")

    rest_chat.say("pay my health bill")
    rest_chat.say("$100")
    rest_chat.say("pay with visa")

    assert "Please check your payment" in rest_chat.text
    assert "Visa" in rest_chat.text


def test_a_security_question_chosen_by_its_words(rest_chat):
    rest_chat.say("/create_account")
    rest_chat.say("my name is Jordan Lee")
    answer_identity_after_name(rest_chat)
    rest_chat.say("jordan.lee")
    rest_chat.say(NEW_PASSWORD)

    rest_chat.say("the first pet one")

    assert rest_chat.text.startswith(SECURITY_QUESTIONS[0])


def answer_identity_after_name(chat) -> None:
    chat.say("04/12/1990")
    chat.say("555-12-3456")
    assert "SSN ending in 3456" in chat.text


def test_a_question_at_the_password_prompt_is_answered_not_tried_as_the_password(
        rest_chat, app_runtime):
    rest_chat.say("/log_in")
    rest_chat.say("alex")

    rest_chat.say("when are premiums due?")

    assert LOGIN_FAILED not in rest_chat.text
    assert "23rd" in rest_chat.text
    assert rest_chat.replies[-1]["text"].startswith(PASSWORD_PROMPT)
    svc = app_runtime.services
    assert accounts.login_tries_left(svc, "alex") == svc.config.lockout_after_failures


def test_bye_at_a_prompt_says_goodbye_and_leaves_the_form(rest_chat):
    rest_chat.say("what do I owe?")
    assert USERNAME_PROMPT in rest_chat.text

    rest_chat.say("bye")

    assert USERNAME_PROMPT not in rest_chat.text and PASSWORD_PROMPT not in rest_chat.text
    rest_chat.say("when are premiums due?")
    assert "23rd" in rest_chat.text and USERNAME_PROMPT not in rest_chat.text
