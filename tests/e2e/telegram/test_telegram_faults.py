"""Telegram answering 429 and 5xx in bursts: nothing is dropped, nothing is sent twice — for
pushed messages (the delivery job, run again as the scheduler does) and for a turn's replies."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import select

from services import sessions
from services.delivery import DeliveryOptions, deliver_due
from services.outbox import NewNotification, enqueue
from services.pacing import DatabasePacer
from services.persistence.models import Account, Notification

FIRST_CHAT = 5560001
BURSTS = [  # (status, retry_after, times), one after the other
    (429, 1, 4),  # more than the rate limiter's own 3 retries: the row is queued again
    (502, None, 2),
    (500, None, 1),
    (429, 1, 1),
    (503, None, 2),
]


def members_on_telegram(svc) -> dict[int, int]:
    """Every demo member logged in to a chat of their own: chat id -> account id."""
    with svc.uow() as uow:
        account_ids = uow.session.scalars(select(Account.id).order_by(Account.id)).all()
    chats = {}
    for number, account_id in enumerate(account_ids):
        chats[FIRST_CHAT + number] = account_id
        sessions.link_chat(svc, channel="telegram", chat_id=FIRST_CHAT + number,
                           account_id=account_id)
    return chats


def queue_one_each(svc, chats: dict[int, int]) -> None:
    with svc.uow() as uow:
        enqueue(uow.session, [NewNotification(account_id, "payment_result", f"burst:{chat}",
                                              f"Message for chat {chat}.")
                              for chat, account_id in chats.items()], now=svc.now())
        uow.commit()


def statuses(svc) -> dict[str, int]:
    with svc.uow() as uow:
        rows = uow.session.scalars(select(Notification.status).where(
            Notification.dedupe_key.like("burst:%"))).all()
    return {status: rows.count(status) for status in set(rows)}


async def test_pushed_messages_survive_bursts_of_429_and_5xx(telegram, clock):
    svc = telegram.runtime.services
    chats = members_on_telegram(svc)
    queue_one_each(svc, chats)
    for status, retry_after, times in BURSTS:
        telegram.api.fail_next("sendMessage", status=status, retry_after=retry_after,
                               times=times)
    options = DeliveryOptions(backoff_first=dt.timedelta(seconds=1))
    pacer = DatabasePacer(svc.uow_factory, "telegram", 100)

    for _ in range(10):  # the scheduler runs delivery every few seconds
        stats = await asyncio.to_thread(deliver_due, svc, telegram.channel.sender,
                                        pacer=pacer, options=options)
        assert stats.failed == stats.unknown == 0
        if statuses(svc) == {"sent": len(chats)}:
            break
        clock.advance(minutes=5)  # past every row's back-off

    assert statuses(svc) == {"sent": len(chats)}, "nothing dropped"
    for chat in chats:
        assert telegram.api.texts(chat) == [f"Message for chat {chat}."], "nothing sent twice"


async def test_a_turns_replies_survive_a_burst_of_429(telegram):
    telegram.api.fail_next("sendMessage", status=429, retry_after=1, times=2)
    sent = await telegram.say(FIRST_CHAT, "/help")
    assert sent, "the replies arrived once Telegram took them"
    texts = telegram.api.texts(FIRST_CHAT)
    assert len(texts) == len(set(texts)), "nothing twice"


async def test_a_turns_replies_survive_a_burst_of_5xx(telegram):
    for status in (502, 500, 503):
        telegram.api.fail_next("sendMessage", status=status, retry_after=None, times=1)
    sent = await telegram.say(FIRST_CHAT, "/help")
    assert sent, "a reply Telegram failed with 5xx is sent again, not dropped"
    texts = telegram.api.texts(FIRST_CHAT)
    assert len(texts) == len(set(texts)), "nothing twice"
