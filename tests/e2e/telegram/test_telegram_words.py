"""Words members type, understood through the Telegram channel: an amount in words, a share of
the balance, a question asked without an account, a pause with its length."""

from __future__ import annotations

from tests.e2e.telegram.conftest import CHAT


def text_of(messages: list[dict]) -> str:
    return "\n".join(message.get("text") or "" for message in messages)


async def test_half_of_the_balance_typed_at_the_amount(telegram):
    await telegram.log_in(CHAT)
    await telegram.say(CHAT, "/pay")
    await telegram.tap(CHAT, "Health")

    await telegram.say(CHAT, "half")
    review = await telegram.tap(CHAT, "Visa")

    assert "Amount: $206.25" in text_of(review)


async def test_an_amount_in_words(telegram):
    await telegram.log_in(CHAT)
    await telegram.say(CHAT, "/pay")
    await telegram.tap(CHAT, "Health")

    await telegram.say(CHAT, "a hundred and fifty dollars")
    review = await telegram.tap(CHAT, "Visa")

    assert "Amount: $150.00" in text_of(review)


async def test_a_general_question_without_logging_in(telegram):
    answer = await telegram.say(CHAT, "can i pay over the phone")

    assert "1-877-623-6765" in text_of(answer)
    assert "log in" not in text_of(answer).lower()


async def test_pause_autopay_for_a_month(telegram):
    await telegram.log_in(CHAT, "maria")

    review = await telegram.say(CHAT, "pause autopay for a month")
    assert "Pause autopay until Thu, Dec 17?" in text_of(review)
    done = await telegram.tap(CHAT, "Pause autopay")

    assert "paused until Thu, Dec 17" in text_of(done)
