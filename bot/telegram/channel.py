"""HealthPay's Telegram channel inside `healthpay serve`: started and stopped with the HTTP app.

- polling (development): the Application long-polls getUpdates alongside the HTTP app;
- webhook: Telegram posts updates to /telegram/webhook on the same ASGI app (webhook.py), and
  start-up registers TELEGRAM_WEBHOOK_URL and TELEGRAM_WEBHOOK_SECRET with setWebhook.

Either way start-up registers the command menu (setMyCommands) and makes every button sent
before it stale (callback_keys), and `sender` pushes reminders and payment results through the
same bot.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, Literal

from telegram import Update
from telegram.ext import BaseRateLimiter

from bot.telegram.application import build_application
from bot.telegram.callback_keys import retire_open_keyboards
from bot.telegram.command_menus import register_command_menus
from bot.telegram.rate_limits import TelegramRateLimiter
from bot.telegram.sender import ChannelNotRunning, TelegramSender

logger = logging.getLogger(__name__)

Mode = Literal["polling", "webhook"]
MODES: tuple[Mode, ...] = ("polling", "webhook")
WEBHOOK_PATH = "/telegram/webhook"
ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY,
                   Update.PRE_CHECKOUT_QUERY, Update.MY_CHAT_MEMBER]


class TelegramChannel:
    """`rate_limiter` makes the Application's rate limiter: Telegram's limits by default;
    tests make quicker ones, the benchmark none."""

    def __init__(self, runtime, mode: Mode, *, poll_timeout_seconds: float = 10,
                 rate_limiter: Callable[[], BaseRateLimiter | None] = TelegramRateLimiter,
                 replace_webhook: bool = False):
        settings = runtime.settings
        if mode not in MODES:
            raise ValueError(f"Telegram mode must be one of {MODES}, not {mode!r}")
        if mode == "webhook" and not (settings.telegram_webhook_url
                                      and settings.telegram_webhook_secret):
            raise SystemExit("Webhook mode needs TELEGRAM_WEBHOOK_URL (the public https address "
                             f"of {WEBHOOK_PATH}) and TELEGRAM_WEBHOOK_SECRET.")
        # Polling starts by deleting the bot's webhook: with production's token, production
        # would stop hearing from Telegram.
        if mode == "polling" and settings.telegram_webhook_url and not replace_webhook:
            raise SystemExit(
                "TELEGRAM_WEBHOOK_URL is set, and polling would delete that webhook at Telegram "
                "(the bot would stop answering there). Use --telegram webhook, unset "
                "TELEGRAM_WEBHOOK_URL, or pass --replace-webhook to poll anyway.")
        self.runtime = runtime
        self.mode = mode
        self.application = build_application(runtime, rate_limiter=rate_limiter(),
                                             with_updater=mode == "polling")
        self.sender = TelegramSender(self)
        self._poll_timeout = poll_timeout_seconds
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        application = self.application
        await application.initialize()  # getMe: a wrong token or address fails here
        stale = retire_open_keyboards(self.runtime.services)
        domain = self.runtime.engine.domain
        await register_command_menus(application.bot, domain.languages,
                                     domain.slots["language"].initial_value)
        await application.start()
        if self.mode == "polling":
            await application.updater.start_polling(timeout=self._poll_timeout,
                                                    allowed_updates=ALLOWED_UPDATES)
        else:
            settings = self.runtime.settings
            await application.bot.set_webhook(settings.telegram_webhook_url,
                                              secret_token=settings.telegram_webhook_secret,
                                              allowed_updates=ALLOWED_UPDATES)
        self._loop = asyncio.get_running_loop()
        logger.info("Telegram channel started (%s) as @%s; %d earlier keyboards made stale",
                    self.mode, application.bot.username, stale)

    async def stop(self) -> None:
        self._loop = None
        application = self.application
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()

    @asynccontextmanager
    async def lifespan(self, _app) -> AsyncIterator[None]:
        """For FastAPI: the channel runs while the HTTP app does."""
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    def accepts_secret(self, header: str | None) -> bool:
        """Whether a webhook request carries our X-Telegram-Bot-Api-Secret-Token."""
        secret = self.runtime.settings.telegram_webhook_secret
        return bool(header) and bool(secret) and hmac.compare_digest(header.encode(),
                                                                      secret.encode())

    async def receive(self, data: dict) -> None:
        """An update Telegram posted to the webhook: queued for the Application."""
        await self.application.update_queue.put(Update.de_json(data, self.application.bot))

    def run_from_thread(self, coroutine: Coroutine[Any, Any, Any], timeout: float) -> Any:
        """Run `coroutine` on the channel's event loop from another thread (the scheduler's)
        and wait for its result; ChannelNotRunning when it cannot."""
        loop = self._loop
        if loop is None or loop.is_closed():
            coroutine.close()
            raise ChannelNotRunning("the Telegram channel is not running")
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout)
