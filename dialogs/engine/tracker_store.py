"""Conversation events in the database, one conversation (channel + sender id) at a time.

`conversation(channel, sender_id)` gives a turn the events of the current session and holds the
conversation until the turn has stored its new events, so one member's turns never interleave,
whatever process or worker runs them:

- PostgreSQL: `SELECT ... FOR UPDATE` on the conversation's row, held by the turn's transaction.
- SQLite has no row locks, and holding its database-wide write lock for a whole turn would stop
  the turn's own actions from writing; so a turn takes a lease on the row in a short write
  transaction and gives it back when it stores its events. A lease left behind by a crashed
  process expires.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import JSON, Connection, TypeDecorator, bindparam, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from dialogs.engine.session_cache import CachedSession, SessionCache
from services.persistence.models import Conversation, ConversationEvent
from services.persistence.unit_of_work import UnitOfWork


class LeaseLost(RuntimeError):
    """A turn outlasted its lease and another one took the conversation: its events are not
    stored, so the other turn's are not interleaved with them."""


@dataclass
class ConversationLog:
    channel: str
    sender_id: str
    snapshot: CachedSession  # the current session as stored when the turn began
    # Each event with its time and its JSON, encoded once for the row, the session cache and
    # the tracker cache alike.
    pending: list[tuple[dict, dt.datetime, str]] = field(default_factory=list)
    replaced: dict[int, dict] = field(default_factory=dict)  # session index -> event
    stored: CachedSession | None = None  # the session as stored by the turn, once committed

    @property
    def conversation_id(self) -> int:
        return self.snapshot.conversation_id

    @property
    def last_seq(self) -> int:
        return self.snapshot.last_seq

    @property
    def last_event_at(self) -> dt.datetime | None:
        return self.snapshot.last_event_at

    @cached_property
    def events(self) -> list[dict]:
        """The current session's stored events, oldest first (decoded when first asked for)."""
        return self.snapshot.events()

    def append(self, events, *, at: dt.datetime) -> None:
        """Store these events when the turn ends."""
        self.pending.extend((event, at, json.dumps(event)) for event in events)

    @property
    def pending_json(self) -> str:
        """The events to store, as a JSON array: what they read back as from the database."""
        return "[" + ", ".join(encoded for _, _, encoded in self.pending) + "]"

    def replace(self, index: int, event: dict) -> None:
        """Store `event` in place of the current session's stored event at `index` when the
        turn ends: a secret taken back out of what was stored (seal_purge, redaction)."""
        self.replaced[index] = event


class TrackerStore:
    def __init__(self, uow_factory: Callable[[], UnitOfWork], *, lease_seconds: float = 120,
                 poll_seconds: float = 0.01, cache: SessionCache | None = None):
        self._uow_factory = uow_factory
        self._lease = dt.timedelta(seconds=lease_seconds)
        self._poll_seconds = poll_seconds
        self._cache = cache if cache is not None else SessionCache()

    @asynccontextmanager
    async def conversation(self, channel: str, sender_id: str) -> AsyncIterator[ConversationLog]:
        # A bare connection, no ORM session: a turn runs these few statements every time.
        with self._uow_factory().connect() as conn:
            if conn.dialect.name == "postgresql":
                # On the turn's own thread (dialogs/engine/turn_queue.py): waiting for the lock
                # while another worker's turn of this conversation runs stalls only this turn.
                log = self._lock_row(conn, channel, sender_id)
                yield log
                stored = _write(conn, log)
                conn.commit()
                self._cache.put(channel, sender_id, stored)
                log.stored = stored
            else:
                owner = str(uuid.uuid4())
                log = await self._take_lease(conn, channel, sender_id, owner)
                try:
                    yield log
                    stored = _write(conn, log, lease_owner=owner)
                    conn.commit()
                    self._cache.put(channel, sender_id, stored)
                    log.stored = stored
                except BaseException:
                    # The turn, or storing it, failed: none of it is kept, and the member's
                    # next message must not wait for the lease to run out.
                    conn.rollback()
                    _give_back_lease(conn, log, owner)
                    conn.commit()
                    raise

    def cache_size(self) -> tuple[int, int]:
        """Conversations whose stored session this process keeps, and their characters."""
        return self._cache.size()

    def session_events(self, channel: str, sender_id: str, *, all_sessions: bool = False
                       ) -> list[dict]:
        """The stored events of a conversation: the current session, or every session."""
        with self._uow_factory().connect() as conn:
            row = conn.execute(_CONVERSATION, {"channel": channel,
                                               "sender_id": sender_id}).one_or_none()
            if row is None:
                return []
            return _events(conn, row.id, 1 if all_sessions else row.session_start_seq)

    def _lock_row(self, conn: Connection, channel: str, sender_id: str) -> ConversationLog:
        which = {"channel": channel, "sender_id": sender_id}
        row = conn.execute(_LOCK_CONVERSATION, which).one_or_none()
        if row is None:
            conn.execute(postgresql.insert(Conversation)
                         .values(_new_row(channel, sender_id))
                         .on_conflict_do_nothing(index_elements=["channel", "sender_id"]))
            row = conn.execute(_LOCK_CONVERSATION, which).one()
        return self._log(conn, channel, sender_id, row)

    def _log(self, conn: Connection, channel: str, sender_id: str, row) -> ConversationLog:
        """The conversation's current session: from the session cache when nothing was stored
        since it was cached, else (the rest) from the database."""
        cached = self._cache.get(channel, sender_id)
        if cached is not None and cached.is_current(row.id, row.session_start_seq, row.last_seq,
                                                    row.last_event_at):
            snapshot = cached
        elif cached is not None and cached.precedes(row.id, row.session_start_seq, row.last_seq):
            snapshot = cached.extended(_events(conn, row.id, cached.last_seq + 1),
                                       last_seq=row.last_seq, last_event_at=row.last_event_at)
        else:
            snapshot = CachedSession(row.id, row.session_start_seq, row.last_seq,
                                     row.last_event_at,
                                     json.dumps(_events(conn, row.id, row.session_start_seq)))
        return ConversationLog(channel=channel, sender_id=sender_id, snapshot=snapshot)

    async def _take_lease(self, conn: Connection, channel: str, sender_id: str,
                          owner: str) -> ConversationLog:
        while True:
            now = dt.datetime.now(dt.UTC)  # leases run on real time, whatever the clock says
            lease = {"lease_owner": owner, "lease_expires_at": now + self._lease}
            # Writes first, so this short transaction holds SQLite's write lock from the start.
            row = conn.execute(_TAKE_LEASE, {
                "which_channel": channel, "which_sender_id": sender_id, "now": now,
                "owner": owner, "expires_at": lease["lease_expires_at"]}).one_or_none()
            if row is None:  # a new conversation, or another turn holds it
                row = conn.execute(
                    sqlite.insert(Conversation)
                    .values(_new_row(channel, sender_id) | lease)
                    .on_conflict_do_nothing(index_elements=["channel", "sender_id"])
                    .returning(*_COLUMNS)).one_or_none()
            if row is not None:
                log = self._log(conn, channel, sender_id, row)
                conn.commit()
                return log
            conn.rollback()
            await asyncio.sleep(self._poll_seconds)


class EncodedJSON(TypeDecorator):
    """A JSON column's value bound as the JSON text it already is (ConversationLog.append
    encoded it once): the column's own type would encode the event a second time."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect):
        return None


# A turn runs these statements every time: built once, so each run skips building the
# statement and its cache key (about 150 µs a statement, most of a turn's database time).
_COLUMNS = (Conversation.id, Conversation.last_seq, Conversation.session_start_seq,
            Conversation.last_event_at)
_CONVERSATION = select(*_COLUMNS).where(Conversation.channel == bindparam("channel"),
                                        Conversation.sender_id == bindparam("sender_id"))
_LOCK_CONVERSATION = _CONVERSATION.with_for_update()
# (An UPDATE's bound names must differ from its columns' names.)
_TAKE_LEASE = (
    update(Conversation)
    .where(Conversation.channel == bindparam("which_channel"),
           Conversation.sender_id == bindparam("which_sender_id"),
           or_(Conversation.lease_owner.is_(None),
               Conversation.lease_expires_at < bindparam("now")))
    .values(lease_owner=bindparam("owner"), lease_expires_at=bindparam("expires_at"))
    .returning(*_COLUMNS))
_EVENTS = (select(ConversationEvent.data)
           .where(ConversationEvent.conversation_id == bindparam("conversation_id"),
                  ConversationEvent.seq >= bindparam("first_seq"))
           .order_by(ConversationEvent.seq))
_STORED = {"last_seq": bindparam("new_last_seq"),
           "last_event_at": bindparam("new_last_event_at"),
           "session_start_seq": bindparam("new_session_start_seq")}
_STORE = update(Conversation).where(Conversation.id == bindparam("conversation_id")).values(
    _STORED)
# Still ours? Checked in the same write as giving the lease back.
_STORE_AND_GIVE_BACK_LEASE = (
    update(Conversation)
    .where(Conversation.id == bindparam("conversation_id"),
           Conversation.lease_owner == bindparam("owner"))
    .values(_STORED | {"lease_owner": None, "lease_expires_at": None}))
_INSERT_EVENTS = insert(ConversationEvent).values(
    data=bindparam("encoded", type_=EncodedJSON()))


def _new_row(channel: str, sender_id: str) -> dict:
    return {"channel": channel, "sender_id": sender_id, "created_at": dt.datetime.now(dt.UTC),
            "last_seq": 0, "session_start_seq": 1}


def _events(conn: Connection, conversation_id: int, first_seq: int) -> list[dict]:
    return list(conn.scalars(_EVENTS, {"conversation_id": conversation_id,
                                       "first_seq": first_seq}))


def _write(conn: Connection, log: ConversationLog, *,
           lease_owner: str | None = None) -> CachedSession:
    """Store the turn's events (and give the lease back); the current session as it now stands
    in the database."""
    rows = []
    seq = log.last_seq
    stored = _replace_stored(conn, log) if log.replaced else log.snapshot
    session_events: list[str] = []
    for event, at, encoded in log.pending:
        seq += 1
        if event["event"] == "session_started":
            stored = CachedSession(log.conversation_id, seq, seq - 1, None, "[]")
            session_events = []
        session_events.append(encoded)
        rows.append({"conversation_id": log.conversation_id, "seq": seq, "at": at,
                     "kind": event["event"], "encoded": encoded})
    stored = stored.extended_encoded(session_events, last_seq=seq,
                                     last_event_at=log.pending[-1][1] if rows
                                     else log.last_event_at)
    if rows or lease_owner is not None:
        values = {"conversation_id": log.conversation_id, "new_last_seq": stored.last_seq,
                  "new_last_event_at": stored.last_event_at,
                  "new_session_start_seq": stored.session_start_seq}
        if lease_owner is None:
            conn.execute(_STORE, values)
        elif conn.execute(_STORE_AND_GIVE_BACK_LEASE,
                          values | {"owner": lease_owner}).rowcount != 1:
            raise LeaseLost(f"turn for {log.channel}:{log.sender_id} lost its lease")
    if rows:
        conn.execute(_INSERT_EVENTS, rows)
    return stored


_REPLACE = (update(ConversationEvent)
            .where(ConversationEvent.conversation_id == bindparam("which_conversation"),
                   ConversationEvent.seq == bindparam("which_seq"))
            .values(data=bindparam("new_data")))


def _replace_stored(conn: Connection, log: ConversationLog) -> CachedSession:
    """Write the replaced events over the stored ones; the snapshot with them."""
    first = log.snapshot.session_start_seq
    conn.execute(_REPLACE, [{"which_conversation": log.conversation_id,
                             "which_seq": first + index, "new_data": event}
                            for index, event in log.replaced.items()])
    events = log.snapshot.events()
    for index, event in log.replaced.items():
        events[index] = event
    snapshot = log.snapshot
    return CachedSession(snapshot.conversation_id, snapshot.session_start_seq, snapshot.last_seq,
                         snapshot.last_event_at, json.dumps(events))


def _give_back_lease(conn: Connection, log: ConversationLog, owner: str) -> None:
    conn.execute(update(Conversation)
                 .where(Conversation.id == log.conversation_id,
                        Conversation.lease_owner == owner)
                 .values(lease_owner=None, lease_expires_at=None))
