"""The Telegram channel end to end: the real Application, handlers, engine and services against
the fake Bot API, polling."""

from __future__ import annotations

import asyncio
import threading
import time

from sqlalchemy import select

from services.persistence.models import Account
from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.fake_bot_api import buttons_of
from tests.e2e.telegram.conftest import (
    CHAT,
    GROUP,
    OTHER_CHAT,
    chat_link,
    last_payment_id,
    payments_after,
    running_bot,
)

VISA = "4242 4242 4242 4242"


def titles(messages: list[dict]) -> list[str]:
    return [button["text"] for message in messages for button in buttons_of(message)]


async def test_start_greets_and_shows_the_help_menu_and_commands_are_registered(telegram):
    sent = await telegram.say(CHAT, "/start")
    assert "Make a payment" in titles(sent)
    assert all(len(button["callback_data"].encode()) <= 64
               for message in sent for button in buttons_of(message))
    commands = {c["command"] for c in telegram.api.calls_to("setMyCommands")[0]["commands"]}
    assert commands == {"start", "help", "pay", "balance", "autopay", "cancel", "logout",
                        "language"}
    assert all(call["parse_mode"] == "HTML" for call in telegram.api.calls_to("sendMessage"))


async def test_log_in_deletes_the_password_message_and_says_so(telegram):
    await telegram.say(CHAT, "/start")
    await telegram.tap(CHAT, "Log in")
    await telegram.say(CHAT, "alex")
    password = telegram.api.user_says(CHAT, DEMO_PASSWORD)
    await telegram.until_handled()
    assert telegram.api.message(CHAT, password["message_id"]).get("deleted")
    assert telegram.api.calls_to("deleteMessage") == [
        {"chat_id": CHAT, "message_id": password["message_id"]}]
    text = telegram.all_text(CHAT)
    assert "I deleted your message to keep your details safe." in text
    assert "logged in" in text and DEMO_PASSWORD not in text
    assert chat_link(telegram.runtime, CHAT).account_id is not None


async def test_a_whole_payment_with_inline_buttons(telegram):
    seeded = last_payment_id(telegram.runtime)
    review = await telegram.review_payment(CHAT)
    assert "Please check your payment" in review[-1]["text"]
    assert titles(review) == ["Confirm", "Cancel"], "no card form without a provider token"
    done = await telegram.tap(CHAT, "Confirm")
    assert "Payment received: $441.50" in done[0]["text"]
    # Every tapped message shows the choice and has no keyboard any more.
    for message_id in (m["message_id"] for m in review):
        assert "✓ You chose: Confirm" in telegram.api.message(CHAT, message_id)["text"]
        assert not buttons_of(telegram.api.message(CHAT, message_id))
    [payment] = payments_after(telegram.runtime, seeded)
    assert (payment.status, payment.amount_cents) == ("succeeded", 44150)


async def test_a_second_tap_on_confirm_is_refused_and_charges_nothing(telegram):
    seeded = last_payment_id(telegram.runtime)
    review = await telegram.review_payment(CHAT)
    confirm = next(b for b in buttons_of(review[-1]) if b["text"] == "Confirm")
    await telegram.tap(CHAT, "Confirm")
    sent_before = len(telegram.api.bot_messages(CHAT))
    telegram.api.user_taps(CHAT, review[-1]["message_id"], confirm["callback_data"])
    await telegram.until_handled()
    answer = telegram.api.calls_to("answerCallbackQuery")[-1]
    assert answer["text"] == "You already chose “Confirm”." and answer["show_alert"] is True
    assert len(telegram.api.bot_messages(CHAT)) == sent_before
    assert [p.status for p in payments_after(telegram.runtime, seeded)] == ["succeeded"]


async def test_a_forged_key_and_another_chats_key_are_refused_and_never_acted_on(telegram,
                                                                                  caplog):
    menu = await telegram.say(CHAT, "/start")
    other_menu = await telegram.say(OTHER_CHAT, "/start")
    other_key = buttons_of(other_menu[-1])[0]["callback_data"]
    sent_before = len(telegram.api.bot_messages(CHAT))

    telegram.api.user_taps(CHAT, menu[-1]["message_id"], "forged-key-0123456789")
    await telegram.until_handled()
    telegram.api.user_taps(CHAT, menu[-1]["message_id"], other_key)
    await telegram.until_handled()

    answers = telegram.api.calls_to("answerCallbackQuery")
    assert [a["text"] for a in answers] == ["This button isn't valid here."] * 2
    assert len(telegram.api.bot_messages(CHAT)) == sent_before, "nothing was acted on"
    assert "tapped in chat" in caplog.text and "unknown callback key" in caplog.text
    # The other chat's button still works for its own member.
    assert await telegram.tap(OTHER_CHAT, buttons_of(other_menu[-1])[0]["text"])


async def test_a_button_under_an_older_message_is_stale(telegram):
    menu = await telegram.say(CHAT, "/start")
    await telegram.say(CHAT, "when is my premium due?")
    old = buttons_of(menu[-1])[0]
    sent_before = len(telegram.api.bot_messages(CHAT))
    telegram.api.user_taps(CHAT, menu[-1]["message_id"], old["callback_data"])
    await telegram.until_handled()
    assert telegram.api.calls_to("answerCallbackQuery")[-1]["text"].startswith(
        "This button has expired")
    assert not buttons_of(telegram.api.message(CHAT, menu[-1]["message_id"])), \
        "the stale keyboard is removed"
    assert len(telegram.api.bot_messages(CHAT)) == sent_before


async def test_buttons_sent_before_a_restart_are_stale(telegram_runtime, fake_api):
    async with running_bot(telegram_runtime, fake_api) as bot:
        menu = await bot.say(CHAT, "/start")
    async with running_bot(telegram_runtime, fake_api) as bot:
        sent_before = len(fake_api.bot_messages(CHAT))
        fake_api.user_taps(CHAT, menu[-1]["message_id"], buttons_of(menu[-1])[0]["callback_data"])
        await bot.until_handled()
        assert fake_api.calls_to("answerCallbackQuery")[-1]["text"].startswith(
            "This button has expired")
        assert len(fake_api.bot_messages(CHAT)) == sent_before
        assert await bot.say(CHAT, "/start"), "the new menu works"
        assert await bot.tap(CHAT, "What do I owe")


async def test_a_card_number_typed_in_chat_is_deleted_and_never_repeated(telegram):
    typed = telegram.api.user_says(CHAT, f"my card is {VISA}, exp 12/30")
    await telegram.until_handled()
    assert telegram.api.message(CHAT, typed["message_id"]).get("deleted")
    text = telegram.all_text(CHAT)
    assert "I deleted your message" in text and "never send a card number" in text
    assert VISA not in text and "4242424242424242" not in text


async def test_a_card_number_added_by_editing_a_message_is_deleted_too(telegram):
    typed = telegram.api.user_says(CHAT, "hello")
    await telegram.until_handled()
    telegram.api.user_edits(typed, f"hello {VISA}")
    await telegram.until_handled()
    assert telegram.api.message(CHAT, typed["message_id"]).get("deleted")
    assert "I deleted your message" in telegram.last_text(CHAT)


async def test_a_slow_turn_shows_typing_and_a_fast_one_does_not(telegram, monkeypatch):
    await telegram.say(CHAT, "/start")
    assert telegram.api.calls_to("sendChatAction") == []
    engine = telegram.runtime.engine
    handle = engine.handle_message

    async def slow_turn(*args, **kwargs):
        await asyncio.sleep(0.8)
        return await handle(*args, **kwargs)

    monkeypatch.setattr(engine, "handle_message", slow_turn)
    await telegram.say(CHAT, "/help")
    assert telegram.api.calls_to("sendChatAction") == [{"chat_id": CHAT, "action": "typing"}]


async def test_a_group_is_told_once_that_the_bot_works_in_private_chats(telegram):
    first = await telegram.say(GROUP, "/pay", user_id=CHAT)
    await telegram.say(GROUP, "hello bot", user_id=OTHER_CHAT)
    assert [m["text"] for m in first] == [
        "I only work in private chats, to keep your details private. Tap my name to message "
        "me directly."]
    assert len(telegram.api.bot_messages(GROUP)) == 1
    assert telegram.api.bot_messages(CHAT) == []


async def test_a_429_on_send_message_is_retried_after_retry_after(telegram):
    telegram.api.fail_next("sendMessage", status=429, retry_after=1)
    started = time.monotonic()
    sent = await telegram.say(CHAT, "/help")
    assert sent
    attempts = [call for call in telegram.api.calls if call.method == "sendMessage"]
    assert len(attempts) == len(sent) + 1, "the refused message was sent again"
    assert attempts[1].at - attempts[0].at >= 1.0
    assert time.monotonic() - started >= 1.0


async def test_a_member_who_blocked_the_bot_is_marked_unreachable(telegram):
    await telegram.log_in(CHAT)
    assert chat_link(telegram.runtime, CHAT).unreachable_since is None
    telegram.api.blocked.add(CHAT)
    sends_before = len(telegram.api.calls_to("sendMessage"))
    await telegram.say(CHAT, "/balance")  # the reply is refused with 403
    assert chat_link(telegram.runtime, CHAT).unreachable_since is not None
    assert len(telegram.api.calls_to("sendMessage")) == sends_before + 1, "not retried"


async def test_blocking_the_bot_in_telegram_marks_the_chat_unreachable(telegram):
    await telegram.log_in(CHAT)
    telegram.api.user_blocks_bot(CHAT)
    await telegram.until_handled()
    assert chat_link(telegram.runtime, CHAT).unreachable_since is not None


async def test_anything_but_text_gets_a_short_answer(telegram):
    telegram.api.user_sends(CHAT, location={"latitude": 42.36, "longitude": -71.06})
    await telegram.until_handled()
    assert telegram.api.texts(CHAT) == ["I can only read text messages. Please type what you need."]


async def test_a_deep_link_logs_the_chat_in_once(telegram):
    from services.link_tokens import create_link_token

    svc = telegram.runtime.services
    with svc.uow() as uow:
        alex = uow.session.scalar(select(Account.id).where(Account.username == "alex"))
    token = create_link_token(svc, alex)
    sent = await telegram.say(CHAT, f"/start {token}")
    assert sent[0]["text"].startswith("You're logged in. Welcome!\n\n")
    assert chat_link(telegram.runtime, CHAT).account_id == alex
    again = await telegram.say(OTHER_CHAT, f"/start {token}")
    assert "already used" in again[0]["text"]
    assert chat_link(telegram.runtime, OTHER_CHAT) is None


async def test_shortcut_commands_reach_the_conversation(telegram):
    await telegram.log_in(CHAT)
    balance = await telegram.say(CHAT, "/balance")
    assert "Here's what you owe" in balance[0]["text"]
    await telegram.say(CHAT, "/logout")
    assert chat_link(telegram.runtime, CHAT) is None


async def test_a_typed_payload_is_not_taken_for_a_button(telegram):
    for typed in ('/affirm{"confirm_payment": "1"}', ' /make_payment'):
        sent = await telegram.say(CHAT, typed)
        assert sent[0]["text"].startswith("I don't know the command /"), typed
        assert "Make a payment" in titles(sent)


async def test_an_unknown_command_gets_help_with_its_heading_once(telegram):
    sent = await telegram.say(CHAT, "/frobnicate")
    text = "\n".join(message["text"] for message in sent)
    assert text.startswith("I don't know the command /frobnicate.")
    assert text.count("Here's what I can help with") == 1, text


async def test_a_replys_keyboards_are_opened_on_the_turns_own_thread(telegram, monkeypatch):
    # One thread hop a turn, not two (bench/README.md note 4); taps still work after it.
    from bot.telegram import callback_keys
    opened_on: list[str] = []
    open_keyboards = callback_keys.open_keyboards

    def recording(*args, **kwargs):
        opened_on.append(threading.current_thread().name)
        return open_keyboards(*args, **kwargs)

    monkeypatch.setattr(callback_keys, "open_keyboards", recording)
    await telegram.say(CHAT, "/start")
    await telegram.tap(CHAT, "Make a payment")

    assert len(opened_on) == 2
    assert all(name.startswith("turn-") for name in opened_on), opened_on
