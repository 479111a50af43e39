"""Chat senders for pushed messages (services.ports.ChatSender): the console's, and a router
that hands each message to the sender of its channel.

The Telegram sender lives with the Telegram channel; a process that serves Telegram and the
console routes to both: `ChannelRouter(telegram_sender, ConsoleSender())`.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import TextIO

from services.errors import RecipientUnreachable
from services.ports import ChatSender

Show = Callable[[str, list[dict[str, str]] | None], None]


class ConsoleSender:
    """Prints messages pushed to console chats: through the running console chat's `show`
    (so its buttons become numbered choices) or as plain lines on `out`."""

    channels = frozenset({"console"})

    def __init__(self, out: TextIO | None = None, *, show: Show | None = None):
        self._out = out or sys.stdout
        self._show = show
        self._lock = threading.Lock()  # the scheduler's threads print too

    def send(self, channel: str, chat_id: str, text: str,
             buttons: list[dict[str, str]] | None = None) -> None:
        with self._lock:
            if self._show is not None:
                self._show(text, buttons)
                return
            lines = [f"[to {channel}:{chat_id}] {text}"]
            lines += [f"    [{button['title']}]" for button in buttons or []]
            self._out.write("\n".join(lines) + "\n")
            self._out.flush()


class ChannelRouter:
    def __init__(self, *senders: ChatSender):
        self._by_channel = {channel: sender for sender in senders for channel in sender.channels}
        self.channels = frozenset(self._by_channel)

    def send(self, channel: str, chat_id: str, text: str,
             buttons: list[dict[str, str]] | None = None) -> None:
        sender = self._by_channel.get(channel)
        if sender is None:
            raise RecipientUnreachable(f"no sender for the {channel!r} channel")
        sender.send(channel, chat_id, text, buttons)
