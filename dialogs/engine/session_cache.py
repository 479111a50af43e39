"""The current session's stored events of recent conversations, kept in this process so that a
turn need not read and decode them from the database again.

A turn always reads its conversation's row (under the row lock or the lease); the cached copy is
used only when that row says nothing was stored since: same conversation id, same session start,
same last event number and time. Events are only ever appended, so when another worker stored
turns meanwhile, only those are read. The copy is the JSON text of what was stored (sealed and
redacted as in the database), decoded afresh for every turn: a turn can never change it, and no
secret is kept in memory that the database does not hold.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True)
class CachedSession:
    conversation_id: int
    session_start_seq: int
    last_seq: int
    last_event_at: dt.datetime | None
    events_json: str  # a JSON array: the session's stored events, oldest first

    @property
    def version(self) -> tuple:
        """What identifies these events: equal versions, equal events."""
        return (self.conversation_id, self.session_start_seq, self.last_seq, self.last_event_at)

    def is_current(self, conversation_id: int, session_start_seq: int, last_seq: int,
                   last_event_at: dt.datetime | None) -> bool:
        """Nothing was stored in the conversation since this copy."""
        return self.version == (conversation_id, session_start_seq, last_seq, last_event_at)

    def precedes(self, conversation_id: int, session_start_seq: int, last_seq: int) -> bool:
        """Same session, and only newer events were stored since."""
        return (self.conversation_id == conversation_id
                and self.session_start_seq == session_start_seq and self.last_seq < last_seq)

    def events(self) -> list[dict]:
        return json.loads(self.events_json)

    def extended(self, events: list[dict], *, last_seq: int,
                 last_event_at: dt.datetime | None) -> CachedSession:
        """This copy with `events` stored after it."""
        return self.extended_encoded([json.dumps(event) for event in events],
                                     last_seq=last_seq, last_event_at=last_event_at)

    def extended_encoded(self, events: list[str], *, last_seq: int,
                         last_event_at: dt.datetime | None) -> CachedSession:
        """This copy with `events`, each already JSON, stored after it."""
        if not events:
            return self
        more = ", ".join(events)
        head = self.events_json[:-1]  # without the array's closing bracket
        joined = f"{head}, {more}]" if head != "[" else f"[{more}]"
        return CachedSession(self.conversation_id, self.session_start_seq, last_seq,
                             last_event_at, joined)


DEFAULT_MAX_CHARS = 16_000_000  # about 18 MB: one byte a character, and each entry's own


class SessionCache:
    """At most `max_chars` of JSON (SESSION_CACHE_CHARS), least recently used conversations
    dropped first."""

    def __init__(self, max_chars: int = DEFAULT_MAX_CHARS):
        self._max_chars = max_chars
        self._chars = 0
        self._entries: OrderedDict[tuple[str, str], CachedSession] = OrderedDict()
        self._lock = threading.Lock()  # PostgreSQL turns read their rows on worker threads

    def size(self) -> tuple[int, int]:
        """Conversations kept, and their characters together."""
        with self._lock:
            return len(self._entries), self._chars

    def get(self, channel: str, sender_id: str) -> CachedSession | None:
        with self._lock:
            entry = self._entries.get((channel, sender_id))
            if entry is not None:
                self._entries.move_to_end((channel, sender_id))
            return entry

    def put(self, channel: str, sender_id: str, entry: CachedSession) -> None:
        with self._lock:
            self._drop(channel, sender_id)
            if len(entry.events_json) > self._max_chars:
                return
            self._entries[(channel, sender_id)] = entry
            self._chars += len(entry.events_json)
            while self._chars > self._max_chars:
                _, oldest = self._entries.popitem(last=False)
                self._chars -= len(oldest.events_json)

    def forget(self, channel: str, sender_id: str) -> None:
        with self._lock:
            self._drop(channel, sender_id)

    def _drop(self, channel: str, sender_id: str) -> None:
        old = self._entries.pop((channel, sender_id), None)
        if old is not None:
            self._chars -= len(old.events_json)
