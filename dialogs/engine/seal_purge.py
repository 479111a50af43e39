"""Sealed answers taken out of storage once no turn can use them, not just made unreadable.

A sealed slot event (dialogs.engine.sealing) carries a secret the member gave (an SSN, a date of
birth, a new password, a security answer) from one turn of a form to the next. Fernet's TTL only
stops the reader; the ciphertext would stay in conversation_events for as long as the row does,
open to anyone who has the server's key. So the seal is removed from the stored event:

- at the next turn of the conversation, when the form no longer needs it: the slot was set
  again since (the form moved on, was submitted or cancelled: each sets or clears its slots),
  slots were reset, or a new session started; or when its TTL has passed;
- by `purge_expired_seals`, which the scheduler runs, for conversations that never had another
  turn (a form abandoned half way).

The event stays, with its "[redacted]" value: the conversation's history keeps its shape.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from sqlalchemy import String, bindparam, cast, select, update

from dialogs.engine.sealing import SEALED_KEY, is_sealed
from services.persistence.models import ConversationEvent
from services.persistence.unit_of_work import UnitOfWork

# Events after which no earlier slot value is read again.
_RESETTING = frozenset({"reset_slots", "restart", "session_started"})
_BATCH = 500


def without_seal(event: dict) -> dict:
    return {key: value for key, value in event.items() if key != SEALED_KEY}


def spent_seals(stored: Sequence[dict], later: Sequence[dict], *, now: dt.datetime,
                ttl_seconds: float) -> dict[int, dict]:
    """Which of a session's `stored` events to store again without their seal, by index: the
    seals that the events after them (the rest of `stored`, then `later`) made useless, and
    those older than `ttl_seconds`."""
    oldest_kept = now.timestamp() - ttl_seconds
    set_later: set[str] = set()
    reset_later = False
    for event in later:
        reset_later = reset_later or event.get("event") in _RESETTING
        if event.get("event") == "slot":
            set_later.add(event["name"])
    spent = {}
    for index in range(len(stored) - 1, -1, -1):  # newest first: what follows is known
        event = stored[index]
        if is_sealed(event) and (reset_later or event["name"] in set_later
                                 or (event.get("timestamp") or 0) <= oldest_kept):
            spent[index] = without_seal(event)
        reset_later = reset_later or event.get("event") in _RESETTING
        if event.get("event") == "slot":
            set_later.add(event["name"])
    return spent


def purge_expired_seals(uow_factory: Callable[[], UnitOfWork], *, now: dt.datetime,
                        ttl_seconds: float) -> int:
    """Remove every seal stored more than `ttl_seconds` before `now`; how many were removed."""
    before = now - dt.timedelta(seconds=ttl_seconds)
    purged = 0
    with uow_factory().connect() as conn:
        while True:
            rows = conn.execute(
                select(ConversationEvent.id, ConversationEvent.data)
                .where(ConversationEvent.kind == "slot", ConversationEvent.at <= before,
                       cast(ConversationEvent.data, String).contains(f'"{SEALED_KEY}"'))
                .order_by(ConversationEvent.id).limit(_BATCH)).all()
            sealed = [{"event_id": row.id, "unsealed": without_seal(row.data)}
                      for row in rows if is_sealed(row.data)]
            if sealed:
                conn.execute(_PURGE, sealed)
            conn.commit()
            purged += len(sealed)
            # A row matched by its text but holding no seal would come back: stop then.
            if len(rows) < _BATCH or len(sealed) < len(rows):
                return purged


_PURGE = (update(ConversationEvent)
          .where(ConversationEvent.id == bindparam("event_id"))
          .values(data=bindparam("unsealed")))
