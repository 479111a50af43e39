"""Trackers of recent conversations, as their stored events add up, so that a turn need not
replay the session's events again.

A tracker is kept under the version of the stored session it was built from (the tracker
store's conversation id, session start, last event number and time) and used only while the
store still holds exactly that version; a turn always works on a copy, so the kept tracker is
never touched by what the turn does. After the turn it is brought up to date with the events
the turn stored, as they read back from the database (through JSON, sensitive values
redacted): the same tracker a replay of the stored session would build.

Not kept: sessions with sealed answers (opening a seal depends on the time, so they are opened
afresh every turn).

Bounded by events, not by conversations: a tracker's memory grows with its session (each event
costs about 1.3-1.7 KB here, its dict and its share of the rule history's slot copies), and one
busy member's session of `MAX_SESSION_EVENTS` weighs as much as a hundred visitors' few turns.
`max_events` (TRACKER_CACHE_EVENTS) keeps a worker's trackers to a known size; the least
recently used conversations go first.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict

from dialogs.engine.sealing import is_sealed
from dialogs.engine.tracker import Tracker

DEFAULT_MAX_EVENTS = 40_000  # about 60 MB


class TrackerCache:
    def __init__(self, max_events: int = DEFAULT_MAX_EVENTS):
        self._max_events = max_events
        self._events = 0  # of the kept trackers, together
        self._entries: OrderedDict[tuple[str, str], tuple[tuple, Tracker]] = OrderedDict()
        self._lock = threading.Lock()

    def size(self) -> tuple[int, int]:
        """Conversations kept, and their events together."""
        with self._lock:
            return len(self._entries), self._events

    def take(self, channel: str, sender_id: str, version: tuple) -> Tracker | None:
        """The kept tracker of the stored session `version`, if there is one; it is no longer
        kept until `keep` gives it back (a turn that fails does not)."""
        with self._lock:
            entry = self._drop(channel, sender_id)
        return entry[1] if entry is not None and entry[0] == version else None

    def keep(self, channel: str, sender_id: str, version: tuple, tracker: Tracker,
             stored_json: str) -> None:
        """`tracker` (built from a stored session, not used by a turn) with the events a turn
        then stored (`stored_json`, the JSON array they were stored as) makes the stored
        session `version`."""
        events = json.loads(stored_json)  # as they read back from storage
        if any(is_sealed(event) for event in events):
            self.forget(channel, sender_id)
            return
        starts = [n for n, event in enumerate(events) if event.get("event") == "session_started"]
        if starts:  # the stored session is the new one, from its start
            tracker = Tracker(tracker.sender_id, tracker.domain, events[starts[-1]:])
        else:
            for event in events:
                tracker.update(event)
        with self._lock:
            self._drop(channel, sender_id)
            if len(tracker.events) > self._max_events:
                return
            self._entries[(channel, sender_id)] = (version, tracker)
            self._events += len(tracker.events)
            while self._events > self._max_events:
                _, (_, oldest) = self._entries.popitem(last=False)
                self._events -= len(oldest.events)

    def forget(self, channel: str, sender_id: str) -> None:
        with self._lock:
            self._drop(channel, sender_id)

    def _drop(self, channel: str, sender_id: str) -> tuple[tuple, Tracker] | None:
        entry = self._entries.pop((channel, sender_id), None)
        if entry is not None:
            self._events -= len(entry[1].events)
        return entry
