"""The python-telegram-bot Application of HealthPay: token, Bot API address, rate limits, and
updates handled concurrently across chats but one at a time, in order, within a chat."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import Application, BaseRateLimiter, BaseUpdateProcessor

from bot.telegram import handlers
from bot.telegram.context import RUNTIME_KEY

CONCURRENT_UPDATES = 64


def build_application(runtime, *, rate_limiter: BaseRateLimiter | None,
                      with_updater: bool = True,
                      concurrent_updates: int = CONCURRENT_UPDATES) -> Application:
    """The Application for the runtime's settings (TELEGRAM_BOT_TOKEN, TELEGRAM_API_BASE_URL,
    which ends in /bot), kept to `rate_limiter` (TelegramRateLimiter: Telegram's limits; None
    only for a benchmark of the processing itself); the webhook needs no updater."""
    settings = runtime.settings
    if not settings.telegram_bot_token:
        raise SystemExit("TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather first.")
    builder = (
        Application.builder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_api_base_url)
        .concurrent_updates(ChatSerialProcessor(concurrent_updates))
        .job_queue(None)  # scheduled work runs in bot/scheduler.py, on every worker's clock
    )
    if rate_limiter is not None:
        builder = builder.rate_limiter(rate_limiter)
    if not with_updater:
        builder = builder.updater(None)
    application = builder.build()
    application.bot_data[RUNTIME_KEY] = runtime
    handlers.register(application)
    return application


class ChatSerialProcessor(BaseUpdateProcessor):
    """Updates of different chats run concurrently; a chat's own run one at a time, in the
    order they came, so a member's messages are answered in order. A pre-checkout query never
    waits behind the chat's turns: Telegram gives its answer ten seconds."""

    def __init__(self, max_concurrent_updates: int):
        super().__init__(max_concurrent_updates)
        self._chats: dict[int, tuple[asyncio.Lock, int]] = {}  # lock, updates holding it

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = _chat_of(update)
        if chat is None:
            await coroutine
            return
        lock, users = self._chats.get(chat, (asyncio.Lock(), 0))
        self._chats[chat] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._chats[chat]
            if users == 1:
                del self._chats[chat]
            else:
                self._chats[chat] = (lock, users - 1)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""


def _chat_of(update: object) -> int | None:
    if not isinstance(update, Update) or update.effective_chat is None:
        return None  # a pre-checkout query: answered at once
    return update.effective_chat.id
