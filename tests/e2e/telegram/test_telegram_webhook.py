"""Webhook mode: the whole ASGI app under uvicorn, the fake Bot API posting updates to it."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.fake_bot_api import SECRET_HEADER, buttons_of
from tests.e2e.telegram.conftest import (
    CHAT,
    WEBHOOK_SECRET,
    configure,
    public_webhook,
    running_bot,
    webhook_socket,
    webhook_url,
)


@pytest.fixture
def webhook(telegram_runtime, fake_api):
    """(the app's socket, its local webhook address); Telegram is given the public one."""
    sock = webhook_socket()
    configure(telegram_runtime, telegram_webhook_url=public_webhook(fake_api, sock),
              telegram_webhook_secret=WEBHOOK_SECRET)
    return sock, webhook_url(sock)


async def test_start_up_registers_the_webhook_and_updates_arrive_there(telegram_runtime,
                                                                     fake_api, webhook):
    sock, url = webhook
    async with running_bot(telegram_runtime, fake_api, "webhook", sock=sock) as bot:
        [registered] = fake_api.calls_to("setWebhook")
        assert registered["url"] == "https://healthpay.example/telegram/webhook"
        assert url.startswith("http://127.0.0.1:") and registered["secret_token"] == WEBHOOK_SECRET
        assert fake_api.calls_to("setMyCommands")
        assert not fake_api.calls_to("getUpdates"), "no polling in webhook mode"

        menu = await bot.say(CHAT, "/start")
        assert "Make a payment" in [b["text"] for m in menu for b in buttons_of(m)]
        assert await bot.tap(CHAT, "What do I owe")
        assert fake_api.webhook_statuses == [200, 200]


async def test_a_request_without_the_secret_is_refused(telegram_runtime, fake_api, webhook):
    sock, url = webhook
    update = {"update_id": 99, "message": {
        "message_id": 1, "date": 0, "chat": {"id": CHAT, "type": "private"},
        "from": {"id": CHAT, "is_bot": False, "first_name": "Eve"}, "text": "hi"}}
    async with running_bot(telegram_runtime, fake_api, "webhook", sock=sock):
        async with httpx.AsyncClient() as client:
            missing = await client.post(url, json=update)
            wrong = await client.post(url, json=update, headers={SECRET_HEADER: "guess"})
            malformed = await client.post(url, content=b"[1, 2]",
                                          headers={SECRET_HEADER: WEBHOOK_SECRET})
    assert (missing.status_code, wrong.status_code) == (403, 403)
    assert malformed.status_code == 400
    assert fake_api.bot_messages(CHAT) == [], "nothing was handled"


def test_webhook_mode_needs_a_url_and_a_secret(telegram_runtime):
    from bot.telegram.channel import TelegramChannel

    with pytest.raises(SystemExit, match="TELEGRAM_WEBHOOK_SECRET"):
        TelegramChannel(telegram_runtime, "webhook")


async def test_a_redelivered_update_is_handled_once(telegram_runtime, fake_api, webhook):
    """Telegram resends an update whose answer it did not get in time."""
    sock, url = webhook
    update = {"update_id": 7001, "message": {
        "message_id": 1, "date": 0, "chat": {"id": CHAT, "type": "private"},
        "from": {"id": CHAT, "is_bot": False, "first_name": "Alex"}, "text": "/start"}}
    secret = {SECRET_HEADER: WEBHOOK_SECRET}
    async with running_bot(telegram_runtime, fake_api, "webhook", sock=sock) as bot:
        async with httpx.AsyncClient() as client:
            first = await client.post(url, json=update, headers=secret)
            again = await client.post(url, json=update, headers=secret)
        await bot.until_handled(7001)
        greeted = len(fake_api.bot_messages(CHAT))
        await bot.say(CHAT, "hi")  # handled after anything queued before it

    assert (first.status_code, again.status_code) == (200, 200), "both acknowledged"
    assert greeted > 0
    starts = [m for m in fake_api.bot_messages(CHAT) if "Make a payment" in
              [b["text"] for b in buttons_of(m)]]
    assert len(starts) == 2, "the /start once, and the menu after the later hi"


def test_polling_is_refused_while_a_webhook_is_set_unless_asked(telegram_runtime):
    from bot.telegram.channel import TelegramChannel

    configure(telegram_runtime, telegram_webhook_url="https://healthpay.example/telegram/webhook",
              telegram_webhook_secret=WEBHOOK_SECRET)
    with pytest.raises(SystemExit, match="polling would delete that webhook.*--replace-webhook"):
        TelegramChannel(telegram_runtime, "polling")
    assert TelegramChannel(telegram_runtime, "polling", replace_webhook=True).mode == "polling"
