"""Pushed messages (reminders, payment results) through the same bot: the ChatSender port, as
the scheduler's delivery job uses it from its own thread."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from services.delivery import deliver_due
from services.errors import RecipientUnreachable
from services.outbox import NewNotification, enqueue
from services.pacing import DatabasePacer
from services.persistence.models import Account, Notification
from tests.e2e.fake_bot_api import buttons_of
from tests.e2e.telegram.conftest import CHAT, chat_link


async def push(telegram, text: str, buttons=None) -> None:
    await asyncio.to_thread(telegram.channel.sender.send, "telegram", str(CHAT), text, buttons)


def remind(svc, username: str, text: str) -> int:
    with svc.uow() as uow:
        account_id = uow.session.scalar(select(Account.id).where(Account.username == username))
        [notification_id] = enqueue(uow.session, [NewNotification(
            account_id, "reminder", f"test:{text}", text,
            [{"title": "Pay now", "payload": "/make_payment"}])], now=svc.now())
        uow.commit()
    return notification_id


def status_of(svc, notification_id: int) -> str:
    with svc.uow() as uow:
        return uow.session.get(Notification, notification_id).status


async def test_a_pushed_message_has_working_buttons(telegram):
    await push(telegram, "Your premium is due in 3 days.",
               [{"title": "Pay now", "payload": "/make_payment"}])
    [reminder] = telegram.api.bot_messages(CHAT)
    assert [b["text"] for b in buttons_of(reminder)] == ["Pay now"]
    answer = await telegram.tap(CHAT, "Pay now")
    assert answer, "the tap went into the conversation"
    assert "You chose: Pay now" in telegram.api.message(CHAT, reminder["message_id"])["text"]


async def test_a_long_message_is_split_at_paragraphs(telegram):
    paragraphs = [f"Paragraph {n}: " + "premium " * 60 for n in range(20)]
    await push(telegram, "\n\n".join(paragraphs), [{"title": "OK", "payload": "/thank"}])
    sent = telegram.api.calls_to("sendMessage")
    assert len(sent) == 3 and all(len(call["text"]) <= 4096 for call in sent)
    assert [bool(call.get("reply_markup")) for call in sent] == [False, False, True]
    assert all(call["text"].startswith("Paragraph") for call in sent)


async def test_the_delivery_job_sends_through_the_bot(telegram):
    await telegram.log_in(CHAT)
    svc = telegram.runtime.services
    notification_id = remind(svc, "alex", "Your premium of $441.50 is due Nov 23.")
    pacer = DatabasePacer(svc.uow_factory, "telegram-test", 100)
    stats = await asyncio.to_thread(deliver_due, svc, telegram.channel.sender, pacer=pacer)
    assert stats.sent == 1 and status_of(svc, notification_id) == "sent"
    assert telegram.last_text(CHAT) == "Your premium of $441.50 is due Nov 23."


async def test_a_member_who_blocked_the_bot_is_not_pushed_to_again(telegram):
    await telegram.log_in(CHAT)
    svc = telegram.runtime.services
    telegram.api.blocked.add(CHAT)
    with pytest.raises(RecipientUnreachable):
        await push(telegram, "Hello?")
    notification_id = remind(svc, "alex", "Your premium is due.")
    sends_before = len(telegram.api.calls_to("sendMessage"))
    pacer = DatabasePacer(svc.uow_factory, "telegram-test", 100)
    await asyncio.to_thread(deliver_due, svc, telegram.channel.sender, pacer=pacer)
    assert status_of(svc, notification_id) == "unreachable"
    assert chat_link(telegram.runtime, CHAT).unreachable_since is not None
    assert len(telegram.api.calls_to("sendMessage")) == sends_before + 1, "tried once only"


async def test_nothing_is_pushed_while_the_channel_is_stopped(telegram_runtime):
    from bot.telegram.channel import TelegramChannel
    from services.errors import DeliveryRetryLater

    stopped = TelegramChannel(telegram_runtime, "polling")
    with pytest.raises(DeliveryRetryLater, match="not running"):
        stopped.sender.send("telegram", str(CHAT), "Hello")
