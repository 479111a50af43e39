"""The python-telegram-bot Application of HealthPay: token, Bot API address, rate limits, and
updates handled concurrently across chats but one at a time, in order, within a chat."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, BaseRateLimiter, BaseUpdateProcessor

from bot.telegram import handlers
from bot.telegram.context import ANSWERED_EARLY, RUNTIME_KEY

logger = logging.getLogger(__name__)

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
    processor = ChatSerialProcessor(concurrent_updates)
    builder = (
        Application.builder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_api_base_url)
        .concurrent_updates(processor)
        .job_queue(None)  # scheduled work runs in bot/scheduler.py, on every worker's clock
    )
    if rate_limiter is not None:
        builder = builder.rate_limiter(rate_limiter)
    if not with_updater:
        builder = builder.updater(None)
    application = builder.build()
    application.bot_data[RUNTIME_KEY] = runtime
    application.bot_data[ANSWERED_EARLY] = processor.answered_early
    handlers.register(application)
    return application


class ChatSerialProcessor(BaseUpdateProcessor):
    """Updates of different chats run concurrently; a chat's own run one at a time, in the
    order they came, so a member's messages are answered in order. A pre-checkout query never
    waits behind the chat's turns: Telegram gives its answer ten seconds. A tap (callback query)
    that would wait is answered first, without a word: Telegram refuses an answer that comes
    too late ("query is too old"), and a turn can run longer than that (12 s behind a 429)."""

    def __init__(self, max_concurrent_updates: int):
        super().__init__(max_concurrent_updates)
        self._chats: dict[int, tuple[asyncio.Lock, int]] = {}  # lock, updates holding it
        self.answered_early: set[str] = set()  # handlers.on_button answers these no more
        self._answering: set[asyncio.Task] = set()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = _chat_of(update)
        if chat is None:
            await coroutine
            return
        lock, users = self._chats.get(chat, (asyncio.Lock(), 0))
        self._chats[chat] = (lock, users + 1)
        early = None
        if lock.locked() and isinstance(update, Update) and update.callback_query is not None:
            # Beside, not before, taking its place in the queue: the chat's order stays.
            early = update.callback_query.id
            self.answered_early.add(early)
            answering = asyncio.create_task(self._answer_now(update))
            self._answering.add(answering)
            answering.add_done_callback(self._answering.discard)
        try:
            async with lock:
                await coroutine
        finally:
            # The handler takes the id out when it answers; one that failed before did not.
            if early is not None:
                self.answered_early.discard(early)
            lock, users = self._chats[chat]
            if users == 1:
                del self._chats[chat]
            else:
                self._chats[chat] = (lock, users - 1)

    @staticmethod
    async def _answer_now(update: Update) -> None:
        try:
            await update.get_bot().answer_callback_query(update.callback_query.id)
        except TelegramError as error:  # the spinner stops by itself; the tap still acts
            logger.info("could not answer a waiting tap early: %s", error)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""


def _chat_of(update: object) -> int | None:
    if not isinstance(update, Update) or update.effective_chat is None:
        return None  # a pre-checkout query: answered at once
    return update.effective_chat.id
