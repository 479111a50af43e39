"""Telegram's flood limits on everything the bot sends, and retries of what failed.

python-telegram-bot's AIORateLimiter keeps the bot to 30 requests a second overall and 20 a
minute per group, and retries a request Telegram refused with 429 after its `retry_after`. It
limits nothing per private chat, where Telegram asks for about one message a second: this adds
that, as a bucket of three (a turn's reply is often two or three messages, which Telegram lets
through as a burst) refilled at one a second.

It also retries, with back-off, a request that failed with a 5xx or a broken connection, which
AIORateLimiter does not: otherwise a reply would be lost. Not one that timed out (Telegram may
have taken it: sent again, the member would see it twice) nor one Telegram refused (400).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import BadRequest, NetworkError, TelegramError, TimedOut
from telegram.ext import AIORateLimiter, BaseRateLimiter

from bot import metrics

logger = logging.getLogger(__name__)

# What a member sees arrive in the chat; chat actions, edits and deletions are not counted.
_MESSAGE_ENDPOINTS = frozenset({"sendMessage", "sendInvoice", "sendPhoto", "sendDocument"})
_MAX_IDLE_LIMITERS = 1024


class TelegramRateLimiter(BaseRateLimiter[int]):
    def __init__(self, *, overall_per_second: float = 30, chat_per_second: float = 1,
                 chat_burst: int = 3, max_retries: int = 3, first_backoff_seconds: float = 0.5):
        self._bot_wide = AIORateLimiter(overall_max_rate=overall_per_second,
                                        overall_time_period=1, max_retries=max_retries)
        self._max_retries = max_retries
        self._first_backoff = first_backoff_seconds
        self._chat_burst = chat_burst
        self._chat_period = chat_burst / chat_per_second
        self._chats: dict[int, AsyncLimiter] = {}

    async def initialize(self) -> None:
        await self._bot_wide.initialize()

    async def shutdown(self) -> None:
        await self._bot_wide.shutdown()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict | list[dict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict | list[dict]:
        limiter = self._private_chat_limiter(endpoint, data.get("chat_id"))
        attempt = 0
        while True:
            try:
                if limiter is None:
                    return await self._bot_wide.process_request(
                        callback, args, kwargs, endpoint, data, rate_limit_args)
                async with limiter:
                    return await self._bot_wide.process_request(
                        callback, args, kwargs, endpoint, data, rate_limit_args)
            except (TimedOut, BadRequest) as error:
                metrics.count_telegram_error(error)
                raise
            except NetworkError as error:
                metrics.count_telegram_error(error)
                if attempt == self._max_retries:
                    raise
                delay = self._first_backoff * 2 ** attempt
                attempt += 1
                logger.info("Telegram %s failed (%s); trying again in %.1f s", endpoint,
                            error.message, delay)
                await asyncio.sleep(delay)
            except TelegramError as error:  # blocked (403), rate limit beyond retries, ...
                metrics.count_telegram_error(error)
                raise

    def _private_chat_limiter(self, endpoint: str, chat_id: object) -> AsyncLimiter | None:
        if endpoint not in _MESSAGE_ENDPOINTS:
            return None
        try:
            chat = int(chat_id)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
        if chat <= 0:  # groups and channels: AIORateLimiter's group limit
            return None
        if len(self._chats) > _MAX_IDLE_LIMITERS:
            for other, limiter in list(self._chats.items()):
                if limiter.has_capacity(self._chat_burst):  # idle long enough to forget
                    del self._chats[other]
        limiter = self._chats.get(chat)
        if limiter is None:
            limiter = self._chats[chat] = AsyncLimiter(self._chat_burst, self._chat_period)
        return limiter
