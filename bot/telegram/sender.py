"""Pushed messages (reminders, payment results) through the running bot: the ChatSender port
(services.ports) for the scheduler's delivery job, which runs in its own thread.

A member who blocked the bot (403) is unreachable, not retried: delivery marks the chat so.
Telegram's 429 after the rate limiter's own retries, a network failure before the request
left, or the channel not running yet: retry later. A request that timed out may have been
delivered, so it is raised as it is and delivery never sends it twice.

A message sent in parts that failed after some of them went out resumes, when delivery tries it
again, from the first part Telegram did not take: the member never gets a part twice. The count
is kept in this process (by chat and message) until the message is sent whole.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import warnings
from collections import OrderedDict
from typing import TYPE_CHECKING

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.warnings import PTBDeprecationWarning

from bot.telegram.context import CHANNEL
from bot.telegram.replies import Progress, send_replies
from dialogs.engine import BotMessage
from services.errors import DeliveryRetryLater, RecipientUnreachable

if TYPE_CHECKING:  # the channel makes its sender
    from bot.telegram.channel import TelegramChannel

SEND_TIMEOUT_SECONDS = 60.0
MAX_PARTLY_SENT = 10_000  # messages remembered half-sent; the oldest are forgotten first


class ChannelNotRunning(RuntimeError):
    """The channel was not started yet, or was stopped: nothing was sent."""


class TelegramSender:
    channels = frozenset({CHANNEL})

    def __init__(self, channel: TelegramChannel, *,
                 timeout_seconds: float = SEND_TIMEOUT_SECONDS):
        self._channel = channel
        self._timeout = timeout_seconds
        self._partly_sent: OrderedDict[str, Progress] = OrderedDict()

    def send(self, channel: str, chat_id: str, text: str,
             buttons: list[dict[str, str]] | None = None) -> None:
        telegram = self._channel
        key = _message_key(chat_id, text, buttons)
        progress = self._partly_sent.pop(key, None) or Progress()
        sending = send_replies(telegram.application.bot, telegram.runtime.services,
                               int(chat_id), [BotMessage(text, list(buttons or []))], progress)
        try:
            telegram.run_from_thread(sending, self._timeout)
        except Forbidden as error:
            raise RecipientUnreachable(f"Telegram: {error.message}") from error
        except RetryAfter as error:
            self._remember(key, progress)
            raise DeliveryRetryLater("Telegram: too many requests",
                                     _retry_after_seconds(error)) from error
        except TimedOut:
            raise
        except BadRequest as error:
            if "chat not found" in error.message.lower():
                raise RecipientUnreachable(f"Telegram: {error.message}") from error
            raise
        except NetworkError as error:
            self._remember(key, progress)
            raise DeliveryRetryLater(f"Telegram: {error.message}") from error
        except ChannelNotRunning as error:
            raise DeliveryRetryLater(str(error)) from error

    def _remember(self, key: str, progress: Progress) -> None:
        """Parts went out before the failure: delivery's next try starts after them."""
        if not progress.sent:
            return
        self._partly_sent[key] = progress
        while len(self._partly_sent) > MAX_PARTLY_SENT:
            self._partly_sent.popitem(last=False)


def _message_key(chat_id: str, text: str, buttons: list[dict[str, str]] | None) -> str:
    body = json.dumps([chat_id, text, buttons or []], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


def _retry_after_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():  # an int in PTB 22, a timedelta from PTB 23 on
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
