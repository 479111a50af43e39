"""What every Telegram handler shares: the channel's name and the running application."""

from __future__ import annotations

from telegram.ext import CallbackContext

CHANNEL = "telegram"
RUNTIME_KEY = "runtime"
ANSWERED_EARLY = "answered_early"  # callback query ids answered before waiting for their chat


def runtime_of(context: CallbackContext):
    """The composition root's Runtime (settings, services, dialogue engine)."""
    return context.bot_data[RUNTIME_KEY]
