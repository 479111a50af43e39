"""The real Telegram channel (python-telegram-bot Application, handlers, engine, services) against
the fake Bot API, on a copy of the seeded demo database.

    async def test_something(telegram):
        await telegram.say(CHAT, "hi")                  # waits until the update is handled
        await telegram.tap(CHAT, "Make a payment")      # a button of the latest keyboard
        assert "owe" in telegram.last_text(CHAT)

Fixtures: `fake_api`, `telegram_runtime` (the e2e runtime pointed at it), `telegram` (the
channel running, polling); `running_bot(...)` for a channel of a test's own (a restart, the
webhook mode). The fake refuses what Telegram refuses, and a test fails when the bot made a
request Telegram would have refused, unless the test took that refusal as expected
(`fake_api.take_refusals()`).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
import uvicorn
from sqlalchemy import func, select
from telegram import Update
from telegram.ext import CallbackContext, TypeHandler

from bot.http.app import create_app
from bot.runtime import Runtime
from bot.telegram.channel import WEBHOOK_PATH, TelegramChannel
from bot.telegram.rate_limits import TelegramRateLimiter
from services.persistence.models import ChatLink, Payment
from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.fake_bot_api import TOKEN, FakeBotApi

CHAT = 5550001
OTHER_CHAT = 5550002
GROUP = -100987654
PROVIDER_TOKEN = "284685063:TEST:provider-token"
WEBHOOK_SECRET = "webhook-secret_0123456789"
PUBLIC_BASE = "https://healthpay.example"


def fast_limits() -> TelegramRateLimiter:
    """Telegram's limits and retries, but quick conversations: a test member types faster
    than one message a second would allow."""
    return TelegramRateLimiter(chat_per_second=100, chat_burst=100)


@dataclass
class TelegramBot:
    api: FakeBotApi
    channel: TelegramChannel
    handled: set[int] = field(default_factory=set)

    @property
    def runtime(self) -> Runtime:
        return self.channel.runtime

    async def say(self, chat_id: int, text: str, **kwargs) -> list[dict]:
        """The member sends `text`; the bot's messages of that turn."""
        return await self._turn(chat_id, lambda: self.api.user_says(chat_id, text, **kwargs))

    async def tap(self, chat_id: int, title: str) -> list[dict]:
        """The member taps a button by title; the bot's new messages of that turn."""
        return await self._turn(chat_id, lambda: self.api.user_taps_button(chat_id, title))

    async def log_in(self, chat_id: int, username: str = "alex",
                     password: str = DEMO_PASSWORD) -> list[dict]:
        """Log in through the menu; the bot's messages after the password."""
        await self.say(chat_id, "/start")
        await self.tap(chat_id, "Log in")
        await self.say(chat_id, username)
        return await self.say(chat_id, password)

    async def review_payment(self, chat_id: int) -> list[dict]:
        """Alex logs in and pays the whole bill with the Visa card, up to the review."""
        await self.log_in(chat_id)
        await self.say(chat_id, "/pay")
        await self.tap(chat_id, "Both")
        await self.tap(chat_id, "Pay $")
        return await self.tap(chat_id, "Visa")

    async def until_handled(self, update_id: int | None = None, timeout: float = 30) -> None:
        """Wait until the Application has run every handler for the update (default: the
        latest pushed); generous for a loaded machine, it returns as soon as it is so."""
        update_id = update_id or self.api.last_update_id
        await self.api.wait_for(lambda: update_id in self.handled, timeout)

    def last_text(self, chat_id: int) -> str:
        texts = self.api.texts(chat_id)
        return texts[-1] if texts else ""

    def all_text(self, chat_id: int) -> str:
        return "\n".join(self.api.texts(chat_id))

    async def _turn(self, chat_id: int, act) -> list[dict]:
        before = {message["message_id"] for message in self.api.bot_messages(chat_id)}
        act()
        await self.until_handled()
        return [message for message in self.api.bot_messages(chat_id)
                if message["message_id"] not in before]


def payments_after(runtime, last_id: int) -> list[Payment]:
    with runtime.services.uow() as uow:
        rows = uow.session.scalars(select(Payment).where(Payment.id > last_id)
                                   .order_by(Payment.id)).all()
        uow.session.expunge_all()
        return list(rows)


def last_payment_id(runtime) -> int:
    with runtime.services.uow() as uow:
        return uow.session.scalar(select(func.max(Payment.id))) or 0


def chat_link(runtime, chat_id: int) -> ChatLink | None:
    with runtime.services.uow() as uow:
        link = uow.session.scalar(select(ChatLink).where(ChatLink.channel == "telegram",
                                                         ChatLink.chat_id == str(chat_id)))
        uow.session.expunge_all()
        return link


def configure(runtime: Runtime, **settings) -> Runtime:
    """The runtime with these settings changed (by field name)."""
    runtime.settings = runtime.settings.model_copy(update=settings)
    return runtime


@contextlib.asynccontextmanager
async def running_bot(runtime: Runtime, api: FakeBotApi, mode: str = "polling", *,
                      sock: socket.socket | None = None) -> AsyncIterator[TelegramBot]:
    """The channel started (polling with a 1 s getUpdates timeout), stopped afterwards. The
    webhook mode serves the whole app on `sock` (see webhook_socket)."""
    channel = TelegramChannel(runtime, mode, poll_timeout_seconds=1, rate_limiter=fast_limits)
    bot = TelegramBot(api, channel)

    async def record(update: Update, _context: CallbackContext) -> None:
        bot.handled.add(update.update_id)
        await api.notify()

    # Group 1 runs after the bot's own handlers (group 0) are done with the update.
    channel.application.add_handler(TypeHandler(Update, record), group=1)
    if mode == "webhook":
        async with _served(channel, sock):
            yield bot
        return
    await channel.start()
    try:
        yield bot
    finally:
        await channel.stop()


@contextlib.asynccontextmanager
async def _served(channel: TelegramChannel, sock: socket.socket) -> AsyncIterator[None]:
    """The whole ASGI app under uvicorn, as `healthpay serve --telegram webhook` runs it."""
    server = uvicorn.Server(uvicorn.Config(create_app(channel.runtime, telegram=channel),
                                           lifespan="on",
                                           # as `serve` does: uvicorn keeps the process's logging
                                           log_config=None))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if serving.done():
            serving.result()
        await asyncio.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        await serving
        sock.close()


def webhook_socket() -> socket.socket:
    """A listening address for the app, known before the channel is made (its URL goes into
    TELEGRAM_WEBHOOK_URL)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


def webhook_url(sock: socket.socket) -> str:
    """Where the app listens for the webhook on this machine."""
    return f"http://127.0.0.1:{sock.getsockname()[1]}{WEBHOOK_PATH}"


def public_webhook(api: FakeBotApi, sock: socket.socket) -> str:
    """The https address Telegram is given (it takes no other); the fake delivers its posts to
    the app on `sock`, as the TLS proxy in front of the app would."""
    api.webhook_routes[PUBLIC_BASE] = f"http://127.0.0.1:{sock.getsockname()[1]}"
    return f"{PUBLIC_BASE}{WEBHOOK_PATH}"


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi()
    await api.start()
    yield api
    await api.stop()
    assert not api.refusals, f"Telegram would have refused: {api.refusals}"


@pytest.fixture
def telegram_runtime(app_runtime, fake_api) -> Runtime:
    """The e2e runtime pointed at the fake Bot API."""
    return configure(app_runtime, telegram_bot_token=TOKEN,
                     telegram_api_base_url=fake_api.base_url)


@pytest.fixture
async def telegram(telegram_runtime, fake_api) -> AsyncIterator[TelegramBot]:
    async with running_bot(telegram_runtime, fake_api) as bot:
        yield bot
