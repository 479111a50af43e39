"""Telegram's limits on what the bot sends (the per-chat pace, retries) and the order of a
chat's updates."""

from __future__ import annotations

import asyncio
import time

import pytest
from telegram import CallbackQuery, Chat, Message, PreCheckoutQuery, Update, User
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.telegram.application import ChatSerialProcessor
from bot.telegram.rate_limits import TelegramRateLimiter


async def sent_at(limiter: TelegramRateLimiter, requests: list[tuple[str, int]]) -> list[float]:
    started = time.monotonic()
    times: list[float] = []

    async def call():
        times.append(time.monotonic() - started)
        return True

    await asyncio.gather(*(limiter.process_request(call, (), {}, endpoint, {"chat_id": chat},
                                                   None) for endpoint, chat in requests))
    return sorted(times)


async def test_a_private_chat_gets_a_burst_then_its_pace():
    limiter = TelegramRateLimiter(chat_per_second=20, chat_burst=2)  # a refill every 50 ms
    times = await sent_at(limiter, [("sendMessage", 1)] * 4)
    assert times[1] < 0.03, "the burst goes at once"
    assert times[3] >= 0.09, "then one every 50 ms"


async def test_other_chats_and_chat_actions_do_not_wait_for_a_busy_chat():
    limiter = TelegramRateLimiter(chat_per_second=2, chat_burst=1)
    times = await sent_at(limiter, [("sendMessage", 1), ("sendMessage", 2),
                                    ("sendChatAction", 1), ("deleteMessage", 1)])
    assert times[-1] < 0.1


def update(update_id: int, chat_id: int) -> Update:
    user = User(chat_id, "Member", is_bot=False)
    return Update(update_id, message=Message(update_id, None, Chat(chat_id, "private"),
                                             from_user=user, text="hi"))


async def test_one_chats_updates_run_in_order_and_other_chats_alongside():
    processor = ChatSerialProcessor(8)
    log: list[tuple[str, int]] = []

    async def handle(chat: int, number: int, seconds: float):
        log.append(("start", number))
        await asyncio.sleep(seconds)
        log.append(("end", number))

    await asyncio.gather(
        processor.process_update(update(1, 10), handle(10, 1, 0.05)),
        processor.process_update(update(2, 10), handle(10, 2, 0.0)),
        processor.process_update(update(3, 20), handle(20, 3, 0.0)),
    )
    assert log.index(("end", 1)) < log.index(("start", 2)), "chat 10 in order"
    assert log.index(("end", 3)) < log.index(("end", 1)), "chat 20 did not wait for chat 10"


async def test_a_5xx_is_sent_again_but_not_a_timeout_or_a_refusal():
    limiter = TelegramRateLimiter(first_backoff_seconds=0.01, chat_per_second=1000, chat_burst=10)

    def failing(*errors):
        calls = []

        async def call():
            calls.append(1)
            if len(calls) <= len(errors):
                raise errors[len(calls) - 1]
            return True
        return call, calls

    async def send(call):
        return await limiter.process_request(call, (), {}, "sendMessage", {"chat_id": 1}, None)

    bad_gateway, calls = failing(NetworkError("Bad Gateway (502)"), NetworkError("x (500)"))
    assert await send(bad_gateway) is True and len(calls) == 3
    for error in (TimedOut(), BadRequest("Bad Request: message text is empty")):
        call, calls = failing(error)
        with pytest.raises(type(error)):
            await send(call)
        assert len(calls) == 1
    always, calls = failing(*[NetworkError("Bad Gateway (502)")] * 10)
    with pytest.raises(NetworkError):
        await send(always)
    assert len(calls) == 4, "three retries"


async def test_a_pre_checkout_query_does_not_wait_for_a_slow_turn():
    processor = ChatSerialProcessor(8)
    user = User(10, "Member", is_bot=False)
    pre_checkout = Update(2, pre_checkout_query=PreCheckoutQuery("q1", user, "USD", 100, "p"))
    log: list[str] = []

    async def handle(name: str, seconds: float):
        await asyncio.sleep(seconds)
        log.append(name)

    await asyncio.gather(processor.process_update(update(1, 10), handle("turn", 0.05)),
                         processor.process_update(pre_checkout, handle("pre-checkout", 0)))
    assert log == ["pre-checkout", "turn"]


async def test_a_tap_answered_early_is_forgotten_even_when_its_handler_fails():
    """A tap that waited behind its chat's turn is answered at once and its id kept until its
    handler runs; a handler that fails before answering must not leave the id behind."""
    processor = ChatSerialProcessor(8)
    user = User(10, "Member", is_bot=False)
    chat = Chat(10, "private")
    tapped = Update(2, callback_query=CallbackQuery(
        "tap-1", user, "instance", message=Message(5, None, chat, from_user=user), data="k"))
    answered: list[str] = []

    async def answer_now(update):
        answered.append(update.callback_query.id)

    processor._answer_now = answer_now
    seen_while_waiting: list[bool] = []

    async def failing_handler():
        seen_while_waiting.append("tap-1" in processor.answered_early)
        raise RuntimeError("the handler failed before answering")

    async def slow_turn():
        await asyncio.sleep(0.05)

    results = await asyncio.gather(processor.process_update(update(1, 10), slow_turn()),
                                   processor.process_update(tapped, failing_handler()),
                                   return_exceptions=True)
    assert isinstance(results[1], RuntimeError)
    assert answered == ["tap-1"] and seen_while_waiting == [True]
    assert processor.answered_early == set()
