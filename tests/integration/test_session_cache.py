"""The tracker store's session cache on SQLite and PostgreSQL: a turn reads no events from the
database when nothing was stored since its worker cached them, reads only the new ones when
another worker stored some, and never serves what the database does not hold."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from rasa_sdk.events import BotUttered, SessionStarted, SlotSet, UserUttered
from sqlalchemy import event, select

from dialogs.engine.session_cache import CachedSession, SessionCache
from services.persistence.models import ConversationEvent
from tests.engine_fakes import tracker_store

AT = dt.datetime(2026, 11, 17, 15, 0, tzinfo=dt.UTC)
EVENT_READS = "FROM conversation_events"


@pytest.fixture
def event_reads(engine):
    """How many times the events table was read."""
    reads = []

    def count(_conn, _cursor, statement, parameters, *_args):
        if EVENT_READS in statement and statement.lstrip().upper().startswith("SELECT"):
            reads.append(parameters)

    event.listen(engine, "before_cursor_execute", count)
    yield reads
    event.remove(engine, "before_cursor_execute", count)


def _values(parameters) -> list:
    return list(parameters.values() if isinstance(parameters, dict) else parameters)


def stored_session(db_engine, conversation_id: int, first_seq: int) -> list[dict]:
    with db_engine.connect() as conn:
        return list(conn.scalars(
            select(ConversationEvent.data)
            .where(ConversationEvent.conversation_id == conversation_id,
                   ConversationEvent.seq >= first_seq)
            .order_by(ConversationEvent.seq)))


async def say(store, text: str, *, at=AT, new_session: bool = False) -> list[dict]:
    """One turn: what it read, then it stores the member's text and a reply."""
    async with store.conversation("telegram", "5") as conversation:
        seen = conversation.events
        started = [SessionStarted()] if new_session else []
        conversation.append(started + [UserUttered(text), BotUttered(f"re: {text}")], at=at)
    return seen


async def test_a_turn_after_this_workers_own_turn_reads_no_events(engine, event_reads):
    store = tracker_store(engine)
    await say(store, "one", new_session=True)
    event_reads.clear()
    seen = await say(store, "two")
    assert event_reads == []
    assert [e.get("text") for e in seen] == [None, "one", "re: one"]
    # What the turn saw is exactly what the database holds.
    async with store.conversation("telegram", "5") as conversation:
        first_seq = conversation.last_seq - len(conversation.events) + 1
        assert conversation.events == stored_session(engine, conversation.conversation_id,
                                                     first_seq)


async def test_turns_stored_by_another_worker_are_read_and_only_those(engine, event_reads):
    mine, other = tracker_store(engine), tracker_store(engine)
    await say(mine, "one", new_session=True)
    await say(other, "two")  # another worker: its own, empty cache reads everything
    event_reads.clear()
    seen = await say(mine, "three")
    assert [e.get("text") for e in seen] == [None, "one", "re: one", "two", "re: two"]
    # One read, from the first event the other worker stored (seq 4) on.
    conversation_id = mine._cache.get("telegram", "5").conversation_id
    assert [_values(parameters) for parameters in event_reads] == [[conversation_id, 4]]


async def test_a_new_session_leaves_the_old_one_behind(engine):
    store = tracker_store(engine)
    await say(store, "yesterday", new_session=True)
    await say(store, "today", at=AT + dt.timedelta(days=1), new_session=True)
    seen = await say(store, "again", at=AT + dt.timedelta(days=1))
    assert [e.get("text") for e in seen] == [None, "today", "re: today"]


async def test_a_failed_turn_is_not_cached(engine):
    store = tracker_store(engine)
    await say(store, "one", new_session=True)
    with pytest.raises(RuntimeError):
        async with store.conversation("telegram", "5") as conversation:
            conversation.append([UserUttered("lost")], at=AT)
            raise RuntimeError("the action crashed")
    seen = await say(store, "two")
    assert "lost" not in [e.get("text") for e in seen]


async def test_sealed_and_redacted_values_are_cached_as_stored(engine):
    cache = SessionCache()
    store = tracker_store(engine, cache=cache)
    async with store.conversation("telegram", "5") as conversation:
        conversation.append([SessionStarted(), UserUttered("[redacted]"),
                             {**SlotSet("password", "[redacted]"), "sealed": "gAAAA-token"}],
                            at=AT)
    cached = cache.get("telegram", "5")
    assert "Hunter2" not in cached.events_json
    seen = await say(store, "next")
    assert seen[-1] == {**SlotSet("password", "[redacted]"), "sealed": "gAAAA-token",
                        "timestamp": None}


def test_the_cache_keeps_to_its_size_dropping_the_least_recently_used():
    cache = SessionCache(max_chars=110)  # three of these fit
    for sender in "abc":
        cache.put("telegram", sender, CachedSession(1, 1, 1, AT, json.dumps(["x" * 30])))
    cache.get("telegram", "a")  # used: kept
    cache.put("telegram", "d", CachedSession(1, 1, 1, AT, json.dumps(["y" * 30])))
    assert cache.get("telegram", "b") is None
    assert cache.get("telegram", "a") is not None and cache.get("telegram", "d") is not None
    cache.put("telegram", "big", CachedSession(1, 1, 1, AT, json.dumps(["z" * 120])))
    assert cache.get("telegram", "big") is None  # larger than the whole cache: not kept


def test_extending_a_cached_session_is_the_same_as_storing_it_whole():
    empty = CachedSession(1, 1, 0, None, "[]")
    once = empty.extended([{"event": "user", "text": "a"}], last_seq=1, last_event_at=AT)
    twice = once.extended([{"event": "bot", "text": "b"}, {"event": "action", "name": "x"}],
                          last_seq=3, last_event_at=AT)
    assert twice.events() == [{"event": "user", "text": "a"}, {"event": "bot", "text": "b"},
                              {"event": "action", "name": "x"}]
    assert (twice.last_seq, once.extended([], last_seq=9, last_event_at=None)) == (3, once)
