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
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy import Connection, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from services.persistence.models import Conversation, ConversationEvent
from services.persistence.unit_of_work import UnitOfWork


class LeaseLost(RuntimeError):
    """A turn outlasted its lease and another one took the conversation: its events are not
    stored, so the other turn's are not interleaved with them."""


@dataclass
class ConversationLog:
    channel: str
    sender_id: str
    events: list[dict]  # the current session, oldest first
    last_event_at: dt.datetime | None
    conversation_id: int
    last_seq: int
    pending: list[tuple[dict, dt.datetime]] = field(default_factory=list)

    def append(self, events, *, at: dt.datetime) -> None:
        """Store these events when the turn ends."""
        self.pending.extend((event, at) for event in events)


class TrackerStore:
    def __init__(self, uow_factory: Callable[[], UnitOfWork], *, lease_seconds: float = 120,
                 poll_seconds: float = 0.01):
        self._uow_factory = uow_factory
        self._lease = dt.timedelta(seconds=lease_seconds)
        self._poll_seconds = poll_seconds

    @asynccontextmanager
    async def conversation(self, channel: str, sender_id: str) -> AsyncIterator[ConversationLog]:
        with self._uow_factory() as uow:
            if uow.session.get_bind().dialect.name == "postgresql":
                log = await asyncio.to_thread(_lock_row, uow.session.connection(), channel,
                                              sender_id)
                yield log
                _write(uow.session.connection(), log)
                uow.commit()
            else:
                owner = str(uuid.uuid4())
                log = await self._take_lease(uow, channel, sender_id, owner)
                try:
                    yield log
                    _write(uow.session.connection(), log, lease_owner=owner)
                    uow.commit()
                except BaseException:
                    # The turn, or storing it, failed: none of it is kept, and the member's
                    # next message must not wait for the lease to run out.
                    uow.rollback()
                    _give_back_lease(uow.session.connection(), log, owner)
                    uow.commit()
                    raise

    def session_events(self, channel: str, sender_id: str, *, all_sessions: bool = False
                       ) -> list[dict]:
        """The stored events of a conversation: the current session, or every session."""
        with self._uow_factory() as uow:
            conn = uow.session.connection()
            row = conn.execute(_conversation_columns(channel, sender_id)).one_or_none()
            if row is None:
                return []
            return _events(conn, row.id, 1 if all_sessions else row.session_start_seq)

    async def _take_lease(self, uow: UnitOfWork, channel: str, sender_id: str,
                          owner: str) -> ConversationLog:
        while True:
            conn = uow.session.connection()
            now = dt.datetime.now(dt.UTC)  # leases run on real time, whatever the clock says
            lease = {"lease_owner": owner, "lease_expires_at": now + self._lease}
            # Writes first, so this short transaction holds SQLite's write lock from the start.
            row = conn.execute(
                update(Conversation)
                .where(Conversation.channel == channel, Conversation.sender_id == sender_id,
                       or_(Conversation.lease_owner.is_(None),
                           Conversation.lease_expires_at < now))
                .values(lease)
                .returning(*_COLUMNS)).one_or_none()
            if row is None:  # a new conversation, or another turn holds it
                row = conn.execute(
                    sqlite.insert(Conversation)
                    .values(_new_row(channel, sender_id) | lease)
                    .on_conflict_do_nothing(index_elements=["channel", "sender_id"])
                    .returning(*_COLUMNS)).one_or_none()
            if row is not None:
                log = _log(conn, channel, sender_id, row)
                uow.commit()
                return log
            uow.rollback()
            await asyncio.sleep(self._poll_seconds)


_COLUMNS = (Conversation.id, Conversation.last_seq, Conversation.session_start_seq,
            Conversation.last_event_at)


def _conversation_columns(channel: str, sender_id: str):
    return select(*_COLUMNS).where(Conversation.channel == channel,
                                   Conversation.sender_id == sender_id)


def _new_row(channel: str, sender_id: str) -> dict:
    return {"channel": channel, "sender_id": sender_id, "created_at": dt.datetime.now(dt.UTC),
            "last_seq": 0, "session_start_seq": 1}


def _lock_row(conn: Connection, channel: str, sender_id: str) -> ConversationLog:
    locking = _conversation_columns(channel, sender_id).with_for_update()
    row = conn.execute(locking).one_or_none()
    if row is None:
        conn.execute(postgresql.insert(Conversation)
                     .values(_new_row(channel, sender_id))
                     .on_conflict_do_nothing(index_elements=["channel", "sender_id"]))
        row = conn.execute(locking).one()
    return _log(conn, channel, sender_id, row)


def _log(conn: Connection, channel: str, sender_id: str, row) -> ConversationLog:
    return ConversationLog(
        channel=channel,
        sender_id=sender_id,
        events=_events(conn, row.id, row.session_start_seq),
        last_event_at=row.last_event_at,
        conversation_id=row.id,
        last_seq=row.last_seq,
    )


def _events(conn: Connection, conversation_id: int, first_seq: int) -> list[dict]:
    return list(conn.scalars(
        select(ConversationEvent.data)
        .where(ConversationEvent.conversation_id == conversation_id,
               ConversationEvent.seq >= first_seq)
        .order_by(ConversationEvent.seq)))


def _write(conn: Connection, log: ConversationLog, *, lease_owner: str | None = None) -> None:
    values: dict = {}
    rows = []
    seq = log.last_seq
    for event, at in log.pending:
        seq += 1
        if event["event"] == "session_started":
            values["session_start_seq"] = seq
        rows.append({"conversation_id": log.conversation_id, "seq": seq, "at": at,
                     "kind": event["event"], "data": event})
    if rows:
        values.update(last_seq=seq, last_event_at=log.pending[-1][1])
    where = [Conversation.id == log.conversation_id]
    if lease_owner is not None:
        # Still ours? Checked in the same write as giving it back.
        where.append(Conversation.lease_owner == lease_owner)
        values.update(lease_owner=None, lease_expires_at=None)
    if values and conn.execute(update(Conversation).where(*where).values(values)).rowcount != 1:
        raise LeaseLost(f"turn for {log.channel}:{log.sender_id} lost its lease")
    if rows:
        conn.execute(insert(ConversationEvent), rows)


def _give_back_lease(conn: Connection, log: ConversationLog, owner: str) -> None:
    conn.execute(update(Conversation)
                 .where(Conversation.id == log.conversation_id,
                        Conversation.lease_owner == owner)
                 .values(lease_owner=None, lease_expires_at=None))
