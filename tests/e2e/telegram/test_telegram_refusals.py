"""When Telegram says no: taps, replies, invoices, captions and notices it refuses or delays,
against the fake Bot API that refuses what Telegram refuses."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot import metrics
from bot.telegram.handlers import GROUP_NOTICE
from services.delivery import deliver_due
from services.errors import DeliveryRetryLater
from services.pacing import DatabasePacer
from services.persistence.models import Notification
from tests.e2e.fake_bot_api import BOT_ID, BOT_USERNAME, QUERY_TOO_OLD, buttons_of
from tests.e2e.telegram.conftest import CHAT, GROUP, last_payment_id, payments_after

TOO_OLD = f"Bad Request: {QUERY_TOO_OLD}"
VISA = "4242 4242 4242 4242"
CHANNEL = -1001234567890
ADMIN_RIGHTS = {key: False for key in (
    "can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages",
    "can_manage_video_chats", "can_restrict_members", "can_promote_members", "can_change_info",
    "can_invite_users", "can_post_stories", "can_edit_stories", "can_delete_stories")}


def failed_turns() -> float:
    metrics.install()  # as the composition root does (idempotent)
    return metrics.TURN_FAILURES.labels(channel="telegram")._value.get()


async def test_a_confirm_tap_whose_answer_is_too_old_still_pays_once(telegram):
    seeded = last_payment_id(telegram.runtime)
    review = await telegram.review_payment(CHAT)
    telegram.api.query_timeout_seconds = 0  # the tap waited too long: Telegram refuses answers
    done = await telegram.tap(CHAT, "Confirm")

    assert "Payment received: $441.50" in done[0]["text"], "the member is told"
    assert [p.status for p in payments_after(telegram.runtime, seeded)] == ["succeeded"]
    assert telegram.api.take_refusals() == [("answerCallbackQuery", TOO_OLD)]
    assert "✓ You chose: Confirm" in telegram.api.message(CHAT, review[-1]["message_id"])["text"]


async def test_a_confirm_tap_whose_edit_gets_429_past_the_retries_still_pays_once(telegram):
    seeded = last_payment_id(telegram.runtime)
    review = await telegram.review_payment(CHAT)
    telegram.api.fail_next("editMessageText", status=429, retry_after=1, times=4)
    edits = len(telegram.api.calls_to("editMessageText"))
    done = await telegram.tap(CHAT, "Confirm")

    assert "Payment received: $441.50" in done[0]["text"], "the member is told"
    assert len(telegram.api.calls_to("editMessageText")) == edits + 4, "retried, then given up"
    confirm = next(b for b in buttons_of(telegram.api.message(CHAT, review[-1]["message_id"]))
                   if b["text"] == "Confirm")
    telegram.api.user_taps(CHAT, review[-1]["message_id"], confirm["callback_data"])
    await telegram.until_handled()
    assert telegram.api.calls_to("answerCallbackQuery")[-1]["text"] == \
        "You already chose “Confirm”."
    assert [p.status for p in payments_after(telegram.runtime, seeded)] == ["succeeded"]


async def test_a_confirm_tap_whose_edit_times_out_still_pays_once(telegram):
    seeded = last_payment_id(telegram.runtime)
    await telegram.review_payment(CHAT)
    # The bot waits 5 s for an answer (python-telegram-bot's read timeout); Telegram edited.
    telegram.api.time_out_next("editMessageText", 6, applied=True)
    done = await telegram.tap(CHAT, "Confirm")
    assert "Payment received: $441.50" in done[0]["text"]
    assert [p.status for p in payments_after(telegram.runtime, seeded)] == ["succeeded"]


async def test_a_tap_waiting_behind_a_slow_turn_is_answered_before_it_waits(telegram,
                                                                            monkeypatch):
    menu = await telegram.say(CHAT, "/start")
    engine = telegram.runtime.engine
    handle = engine.handle_message
    release = asyncio.Event()

    async def slow_turn(*args, **kwargs):
        await release.wait()
        return await handle(*args, **kwargs)

    monkeypatch.setattr(engine, "handle_message", slow_turn)
    telegram.api.user_says(CHAT, "what do I owe?")  # a turn that holds the chat
    tap = telegram.api.user_taps_button(CHAT, buttons_of(menu[-1])[0]["text"])
    try:
        await telegram.api.wait_for_calls("answerCallbackQuery", timeout=3)
    finally:
        release.set()
    assert telegram.api.calls_to("answerCallbackQuery")[0] == {"callback_query_id": tap}
    await telegram.until_handled()
    assert len(telegram.api.calls_to("answerCallbackQuery")) == 1, "answered once"
    assert telegram.api.refusals == []


async def test_a_turn_that_fails_is_logged_counted_and_told(telegram, monkeypatch, caplog):
    async def broken_turn(*args, **kwargs):
        raise RuntimeError("the engine broke")

    monkeypatch.setattr(telegram.runtime.engine, "handle_message", broken_turn)
    before = failed_turns()
    sent = await telegram.say(CHAT, "hello")
    assert [m["text"] for m in sent] == [
        "Sorry, something went wrong on my side and I couldn't finish that. Please try again "
        "in a moment."]
    assert failed_turns() == before + 1
    assert "Telegram update failed" in caplog.text and "the engine broke" in caplog.text


PHOTO = [{"file_id": "AgAD-photo", "file_unique_id": "AQAD", "width": 90, "height": 60}]
DOCUMENT = {"file_id": "BQAD-doc", "file_unique_id": "AgAD", "file_name": "card.pdf"}


@pytest.mark.parametrize("attachment", [{"photo": PHOTO}, {"document": DOCUMENT}])
async def test_a_card_number_in_a_caption_is_deleted(telegram, attachment):
    sent = telegram.api.user_sends(CHAT, caption=f"my card is {VISA}", **attachment)
    await telegram.until_handled()
    assert telegram.api.message(CHAT, sent["message_id"]).get("deleted")
    assert telegram.api.texts(CHAT) == [
        "🔒 I deleted your message to keep your details safe.\n\n"
        "I can only read text messages. Please type what you need."]
    assert VISA not in telegram.all_text(CHAT)


async def test_a_card_number_added_by_editing_a_caption_is_deleted(telegram):
    sent = telegram.api.user_sends(CHAT, caption="my card", photo=PHOTO)
    await telegram.until_handled()
    edited = {**sent, "caption": f"my card {VISA}", "edit_date": sent["date"] + 1}
    telegram.api.push({"edited_message": edited})
    await telegram.until_handled()
    assert telegram.api.message(CHAT, sent["message_id"]).get("deleted")
    assert "I deleted your message" in telegram.last_text(CHAT)


async def test_a_channel_that_adds_the_bot_hears_nothing(telegram):
    telegram.api.push({"my_chat_member": {
        "chat": {"id": CHANNEL, "type": "channel", "title": "News"},
        "from": {"id": CHAT, "is_bot": False, "first_name": "Member"}, "date": 0,
        "old_chat_member": {"status": "left", "user": _bot()},
        "new_chat_member": {"status": "administrator", "user": _bot(), **ADMIN_RIGHTS}}})
    await telegram.until_handled()
    telegram.api.push({"channel_post": {"message_id": 1, "date": 0, "text": "/pay",
                                        "chat": {"id": CHANNEL, "type": "channel",
                                                 "title": "News"}}})
    await telegram.until_handled()
    assert telegram.api.bot_messages(CHANNEL) == []
    assert telegram.api.calls_to("sendMessage") == []


async def test_a_refused_group_notice_is_told_on_the_next_message(telegram):
    telegram.api.fail_next("sendMessage", status=400, description=(
        "Bad Request: not enough rights to send text messages to the chat"))
    await telegram.say(GROUP, "/pay", user_id=CHAT)
    assert telegram.api.bot_messages(GROUP) == []
    told = await telegram.say(GROUP, "hello?", user_id=CHAT)
    assert [m["text"] for m in told] == [telegram.runtime.engine.say(GROUP_NOTICE, "en").text]
    await telegram.say(GROUP, "and again", user_id=CHAT)
    assert len(telegram.api.bot_messages(GROUP)) == 1, "told once"


def _bot() -> dict:
    return {"id": BOT_ID, "is_bot": True, "first_name": "HealthPay", "username": BOT_USERNAME}


async def test_a_reply_telegram_will_not_take_goes_out_later_through_the_outbox_once(telegram):
    await telegram.log_in(CHAT)
    before = len(telegram.api.texts(CHAT))
    telegram.api.fail_next("sendMessage", status=429, retry_after=1, times=4)  # past retries
    assert await telegram.say(CHAT, "/balance") == [], "Telegram took nothing"
    svc = telegram.runtime.services
    queued = replies_queued(svc)
    assert {n.status for n in queued} == {"queued"}, [(n.text[:40], n.buttons) for n in queued]
    assert "Total due" in queued[0].text

    for _ in range(2):  # the scheduler runs delivery every few seconds
        await asyncio.to_thread(deliver_due, svc, telegram.channel.sender,
                                pacer=DatabasePacer(svc.uow_factory, "telegram", 100))
    assert telegram.api.texts(CHAT)[before:] == [n.text for n in queued], "once, in order"
    assert {n.status for n in replies_queued(svc)} == {"sent"}
    assert any(buttons_of(m) for m in telegram.api.bot_messages(CHAT)[-len(queued):])


async def test_a_split_message_resumes_from_the_first_part_not_delivered(telegram):
    paragraphs = [f"Part {number}: " + "premium " * 500 for number in (1, 2, 3)]
    text = "\n\n".join(paragraphs)
    telegram.api.fail_next("sendMessage", status=429, retry_after=1, times=4, after=1)
    send = telegram.channel.sender.send
    with pytest.raises(DeliveryRetryLater):
        await asyncio.to_thread(send, "telegram", str(CHAT), text, None)
    assert [t[:7] for t in telegram.api.texts(CHAT)] == ["Part 1:"]

    await asyncio.to_thread(send, "telegram", str(CHAT), text, None)  # delivery tries again
    assert [t[:7] for t in telegram.api.texts(CHAT)] == ["Part 1:", "Part 2:", "Part 3:"]


def replies_queued(svc) -> list[Notification]:
    with svc.uow() as uow:
        rows = uow.session.scalars(select(Notification).where(Notification.kind == "reply")
                                   .order_by(Notification.id)).all()
        uow.session.expunge_all()
        return list(rows)


async def test_a_reply_telegram_refuses_is_not_queued_to_be_refused_again(telegram):
    await telegram.log_in(CHAT)
    telegram.api.fail_next("sendMessage", status=400,
                           description="Bad Request: message is too long")
    sent = await telegram.say(CHAT, "/balance")
    assert replies_queued(telegram.runtime.services) == []
    assert [m["text"] for m in sent] == [
        "Sorry, something went wrong on my side and I couldn't finish that. Please try again "
        "in a moment."], "the member is told"
