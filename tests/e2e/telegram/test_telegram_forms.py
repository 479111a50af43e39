"""Forms that know an answer from a question, and the handoff to a person, through the Telegram
channel (python-telegram-bot against the fake Bot API): the same member messages as
tests/e2e/test_conversation_forms.py and test_conversation_handoff.py, in a Telegram chat."""

from __future__ import annotations

from sqlalchemy import select

from services.accounts import LOGIN_FAILED, SECURITY_QUESTIONS
from services.persistence.models import SupportRequest
from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.fake_bot_api import buttons_of
from tests.e2e.telegram.conftest import CHAT, chat_link
from tests.e2e.test_conversation_access import JORDAN, NEW_PASSWORD

USERNAME_PROMPT = "What's your username?"
PASSWORD_PROMPT = "And your password?"


def texts(messages: list[dict]) -> str:
    return "\n".join(message.get("text") or "" for message in messages)


async def test_a_question_at_the_username_prompt_then_the_log_in(telegram):
    await telegram.say(CHAT, "/start")
    await telegram.tap(CHAT, "Log in")

    sent = await telegram.say(CHAT, "whats my balance")

    assert "let's log you in" in texts(sent) and PASSWORD_PROMPT not in texts(sent)
    assert USERNAME_PROMPT in sent[-1]["text"]
    sent = await telegram.say(CHAT, "log in")
    assert USERNAME_PROMPT in texts(sent) and PASSWORD_PROMPT not in texts(sent)
    await telegram.say(CHAT, "alex")
    sent = await telegram.say(CHAT, DEMO_PASSWORD)
    assert "Total due: $441.50" in texts(sent), "the balance asked for comes after"
    assert chat_link(telegram.runtime, CHAT).account_id is not None


async def test_a_wrong_password_is_deleted_and_asked_again_with_a_warning_before_the_lock(
        telegram):
    await telegram.say(CHAT, "/start")
    await telegram.tap(CHAT, "Log in")
    await telegram.say(CHAT, "alex")
    for number in range(4):
        typed = telegram.api.user_says(CHAT, f"not-the-password-{number}")
        await telegram.until_handled()
        assert telegram.api.message(CHAT, typed["message_id"]).get("deleted")

    text = telegram.all_text(CHAT)
    assert text.count(LOGIN_FAILED) == 4
    assert USERNAME_PROMPT not in text.split(LOGIN_FAILED, 1)[1], "the username is kept"
    assert "one more wrong password will pause logging in to your account for 15 minutes" in text
    sent = await telegram.say(CHAT, DEMO_PASSWORD)
    assert "Welcome back, Alex!" in texts(sent)


async def test_please_log_in_first_takes_the_next_message_as_the_username(telegram):
    sent = await telegram.say(CHAT, "show my payment history")
    assert "let's log you in" in texts(sent)

    sent = await telegram.say(CHAT, "alex")

    assert PASSWORD_PROMPT in texts(sent) and "didn't understand" not in texts(sent)


async def test_a_security_answer_that_looks_like_a_word_is_kept_as_the_answer(telegram):
    await telegram.say(CHAT, "/start")
    await telegram.tap(CHAT, "Create an account")
    for answer in (JORDAN["name"], JORDAN["dob"], JORDAN["ssn"], "jordan.lee", NEW_PASSWORD):
        await telegram.say(CHAT, answer)
    await telegram.tap(CHAT, SECURITY_QUESTIONS[0])

    typed = telegram.api.user_says(CHAT, "Biscuit")
    await telegram.until_handled()

    assert telegram.api.message(CHAT, typed["message_id"]).get("deleted")
    assert "second, different security question" in telegram.last_text(CHAT)
    assert "I've stopped that" not in telegram.all_text(CHAT)


async def test_a_menu_title_typed_as_text_chooses_that_item(telegram):
    await telegram.say(CHAT, "/start")

    sent = await telegram.say(CHAT, "questions about premiums")

    assert "What would you like to know?" in texts(sent)
    assert "Other ways to pay" in [b["text"] for m in sent for b in buttons_of(m)]


async def test_nah_cancel_that_at_the_amount_step_cancels(telegram):
    await telegram.log_in(CHAT)
    await telegram.say(CHAT, "pay my health bill")

    sent = await telegram.say(CHAT, "nah cancel that")

    assert "I've stopped that" in texts(sent)


async def test_a_question_at_the_payment_method_step_is_answered_and_asked_again(telegram):
    await telegram.log_in(CHAT)
    await telegram.say(CHAT, "pay my health bill")
    await telegram.say(CHAT, "$100")

    sent = await telegram.say(CHAT, "how do I pay by mail")

    assert "P.O. Box 970063" in texts(sent)
    assert sent[-1]["text"] == "Which method would you like to pay with?"
    sent = await telegram.say(CHAT, "visa")
    assert "Please check your payment" in texts(sent)


# --- talk to a person -------------------------------------------------------------------------


def support_requests(runtime) -> list[SupportRequest]:
    with runtime.services.uow() as uow:
        return list(uow.session.scalars(select(SupportRequest).order_by(SupportRequest.id)))


async def test_a_second_talk_to_a_person_adds_to_the_open_request(telegram):
    await telegram.log_in(CHAT)
    await telegram.say(CHAT, "talk to a person")

    sent = await telegram.say(CHAT, "can I speak to a human please")

    (request,) = support_requests(telegram.runtime)
    assert f"Your support request {request.number} is still open" in texts(sent)


async def test_a_visitor_gives_a_phone_number_for_the_call_back(telegram):
    await telegram.say(CHAT, "/start")
    sent = await telegram.tap(CHAT, "Talk to a person")
    assert "how can they reach you?" in texts(sent)
    assert "Don't contact me" in [b["text"] for m in sent for b in buttons_of(m)]

    sent = await telegram.say(CHAT, "617 555 0123")

    (request,) = support_requests(telegram.runtime)
    assert request.contact == "+16175550123" and request.account_id is None
    assert f"I've opened support request {request.number}" in texts(sent)


async def test_a_visitor_may_decline_with_the_button(telegram):
    await telegram.say(CHAT, "/start")
    await telegram.tap(CHAT, "Talk to a person")

    sent = await telegram.tap(CHAT, "Don't contact me")

    assert "no one can call you back" in texts(sent)
    assert support_requests(telegram.runtime) == []
