"""The language each conversation is in, as its latest turn on this worker left it: for what is
said outside a turn — the choice shown under a tapped button, a refused tap, a busy reply, an
apology for a failed turn, a channel's own notices.

Kept in memory, a bounded number of conversations: the tracker store stays the record (the
language slot), and a worker that has not seen a conversation yet falls back to the language
the member's app names (Telegram's language_code), then to the default language.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from dialogs.engine.languages import LanguageChooser

KEPT = 50_000  # conversations remembered; the least recently used are forgotten first


class ConversationLanguages:
    def __init__(self, chooser: LanguageChooser, default: str, kept: int = KEPT):
        self._chooser = chooser
        self.default = default
        self._kept = kept
        self._known: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._lock = threading.Lock()  # turns end on several turn threads

    def remember(self, channel: str, sender_id: str, code: str | None) -> None:
        key = (channel, str(sender_id))
        if not code:
            return
        with self._lock:
            self._known[key] = code
            self._known.move_to_end(key)
            while len(self._known) > self._kept:
                self._known.popitem(last=False)

    def language_of(self, channel: str, sender_id: str | int, *,
                    language_code: str | None = None) -> str:
        known = self._known.get((channel, str(sender_id)))
        return known or self._chooser.from_language_code(language_code) or self.default
