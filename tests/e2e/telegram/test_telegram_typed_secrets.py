"""Card numbers in the formats people step around detection with, and SSNs, through the real
Telegram channel: the member's message is deleted, a warning sent, nothing repeated."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.telegram.conftest import CHAT


@pytest.mark.parametrize("typed, warning", [
    ("my card is 4242  4242/4242_4242 cvc 123", "never send a card number"),
    ("4242 \u2013 4242 \u2013 4242 \u2013 4242, 12/30", "never send a card number"),
    ("my social is 555 12 3456", "never send your Social Security number"),
])
async def test_a_typed_secret_is_deleted_and_never_repeated(telegram, typed, warning):
    message = telegram.api.user_says(CHAT, typed)
    await telegram.until_handled()

    assert telegram.api.message(CHAT, message["message_id"]).get("deleted")
    text = telegram.all_text(CHAT)
    assert "I deleted your message" in text and warning in text
    assert "4242" not in text and "3456" not in text


async def test_an_ssn_added_by_editing_a_message_is_deleted_too(telegram):
    message = telegram.api.user_says(CHAT, "hello")
    await telegram.until_handled()

    telegram.api.user_edits(message, "hello, ssn 555-12-3456")
    await telegram.until_handled()

    assert telegram.api.message(CHAT, message["message_id"]).get("deleted")
    assert "I deleted your message" in telegram.last_text(CHAT)


async def test_a_password_typed_at_the_username_prompt_is_deleted_once_the_log_in_fails(
        telegram):
    await telegram.say(CHAT, "/start")
    await telegram.tap(CHAT, "Log in")
    # The member types the password a step early: it is taken for a username.
    stray = telegram.api.user_says(CHAT, DEMO_PASSWORD)
    await telegram.until_handled()
    assert not telegram.api.message(CHAT, stray["message_id"]).get("deleted")

    said = await telegram.say(CHAT, DEMO_PASSWORD)

    assert any("don't match" in message.get("text", "") for message in said)
    assert telegram.api.message(CHAT, stray["message_id"]).get("deleted")
    stored = json.dumps(telegram.runtime.engine._store.session_events("telegram", str(CHAT)))
    assert DEMO_PASSWORD not in stored


async def test_a_password_typed_at_the_question_chooser_is_deleted(telegram):
    await telegram.say(CHAT, "I'd like to create an account")
    for answer in ("Jordan Lee", "04/12/1990", "555-12-3456", "jordan.lee",
                   "Quiet-Lantern-Harbor-77"):
        await telegram.say(CHAT, answer)
    assert "Pick a security question" in telegram.last_text(CHAT)

    stray = telegram.api.user_says(CHAT, "Quiet-Lantern-Harbor-77")
    await telegram.until_handled()

    assert telegram.api.message(CHAT, stray["message_id"]).get("deleted")
    stored = json.dumps(telegram.runtime.engine._store.session_events("telegram", str(CHAT)))
    assert "Quiet-Lantern-Harbor-77" not in stored and "jordan.lee" in stored
