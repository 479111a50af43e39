"""What an action call reads once, however often rasa-sdk asks.

rasa-sdk asks a form's required slots several times while validating one message (to extract,
to validate, to pick the next slot) and builds a new tracker for each action call, adding slot
events to that same tracker as it goes. So a value read with the tracker of the call it belongs
to is the same for the whole call and read afresh by the next one.

Per thread: turns run on several threads at once (dialogs/engine/turn_queue.py), and one
member's bills must never be read back by another member's turn. Holding the call's tracker
keeps any later call's tracker from being the same object.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from rasa_sdk import Tracker

T = TypeVar("T")

_last = threading.local()


def read_once(tracker: Tracker, what: str, read: Callable[[], T]) -> T:
    """`read()`, or what it gave earlier in this action call (the call of `tracker`)."""
    kept = getattr(_last, "value", None)
    if kept is None or kept[0] is not tracker:
        kept = _last.value = (tracker, {})
    values = kept[1]
    if what not in values:
        values[what] = read()
    return values[what]
