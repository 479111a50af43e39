"""Pushed messages (reminders, payment results) through the running bot: the ChatSender port
(services.ports) for the scheduler's delivery job, which runs in its own thread.

A member who blocked the bot (403) is unreachable, not retried: delivery marks the chat so.
Telegram's 429 after the rate limiter's own retries, a network failure before the request
left, or the channel not running yet: retry later. A request that timed out may have been
delivered, so it is raised as it is and delivery never sends it twice.
"""

from __future__ import annotations

import datetime as dt
import warnings
from typing import TYPE_CHECKING

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.warnings import PTBDeprecationWarning

from bot.telegram.context import CHANNEL
from bot.telegram.replies import send_replies
from dialogs.engine import BotMessage
from services.errors import DeliveryRetryLater, RecipientUnreachable

if TYPE_CHECKING:  # the channel makes its sender
    from bot.telegram.channel import TelegramChannel

SEND_TIMEOUT_SECONDS = 60.0


class ChannelNotRunning(RuntimeError):
    """The channel was not started yet, or was stopped: nothing was sent."""


class TelegramSender:
    channels = frozenset({CHANNEL})

    def __init__(self, channel: TelegramChannel, *,
                 timeout_seconds: float = SEND_TIMEOUT_SECONDS):
        self._channel = channel
        self._timeout = timeout_seconds

    def send(self, channel: str, chat_id: str, text: str,
             buttons: list[dict[str, str]] | None = None) -> None:
        telegram = self._channel
        message = BotMessage(text, list(buttons or []))
        sending = send_replies(telegram.application.bot, telegram.runtime.services,
                               int(chat_id), [message])
        try:
            telegram.run_from_thread(sending, self._timeout)
        except Forbidden as error:
            raise RecipientUnreachable(f"Telegram: {error.message}") from error
        except RetryAfter as error:
            raise DeliveryRetryLater("Telegram: too many requests",
                                     _retry_after_seconds(error)) from error
        except TimedOut:
            raise
        except BadRequest as error:
            if "chat not found" in error.message.lower():
                raise RecipientUnreachable(f"Telegram: {error.message}") from error
            raise
        except NetworkError as error:
            raise DeliveryRetryLater(f"Telegram: {error.message}") from error
        except ChannelNotRunning as error:
            raise DeliveryRetryLater(str(error)) from error


def _retry_after_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():  # an int in PTB 22, a timedelta from PTB 23 on
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
