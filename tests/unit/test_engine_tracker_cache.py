"""The engine keeps the tracker of a conversation between turns: the kept tracker is always the
one a replay of the stored session builds, it is not kept while the session holds sealed
answers, and a turn whose storing fails leaves nothing kept."""

from __future__ import annotations

import pytest

from dialogs.engine.tracker import Tracker
from dialogs.engine.tracker_cache import TrackerCache
from tests.engine_fakes import FirstVariation, build_engine, texts, tracker_store

CONVERSATION = ["hi", "remind me", "yes", "what is due?", "3 and 1", "help", "no", "thanks",
                "weather?", "pay", "cancel", "remind me", "cancel", "bye"]


@pytest.fixture
def store(sqlite_engine):
    return tracker_store(sqlite_engine)


@pytest.fixture
def engine(sqlite_engine, clock, services, store):
    return build_engine(sqlite_engine, clock=clock, store=store)


def kept(engine, sender: str = "5") -> Tracker | None:
    entry = engine._trackers._entries.get(("telegram", sender))
    return entry[1] if entry else None


def state(tracker: Tracker) -> dict:
    return {**tracker.current_state(), "history": tracker.history,
            "slots": tracker.slots, "events": tracker.events}


async def test_the_kept_tracker_is_the_one_the_stored_session_replays_to(engine, store, clock):
    for text in CONVERSATION:
        await engine.handle_message("telegram", "5", text)
        clock.advance(minutes=1)
        replayed = Tracker("telegram:5", engine.domain, store.session_events("telegram", "5"))
        assert kept(engine) is not None, text
        assert state(kept(engine)) == state(replayed), text


async def test_a_kept_tracker_answers_as_a_replayed_one_would(sqlite_engine, engine, clock,
                                                            store):
    """The same conversation through an engine that keeps trackers and through engines that
    are new every turn (so they replay the store) gets the same replies."""
    replies_kept, replies_replayed = [], []
    # Variations picked at random would differ by how many responses each engine rendered.
    engine = build_engine(sqlite_engine, clock=clock, store=store, rng=FirstVariation())
    for text in CONVERSATION:
        replies_kept.append(texts(await engine.handle_message("telegram", "5", text)))
        fresh = build_engine(sqlite_engine, clock=clock, store=tracker_store(sqlite_engine),
                             rng=FirstVariation())
        replies_replayed.append(texts(await fresh.handle_message("telegram", "6", text)))
        clock.advance(minutes=1)
    assert replies_kept == replies_replayed


async def test_a_new_session_is_kept_from_its_start(engine, store, clock):
    await engine.handle_message("telegram", "5", "remind me")
    clock.advance(minutes=61)
    await engine.handle_message("telegram", "5", "hi")
    replayed = Tracker("telegram:5", engine.domain, store.session_events("telegram", "5"))
    assert state(kept(engine)) == state(replayed)
    assert replayed.events[0]["event"] == "session_started"


async def test_a_turn_another_worker_stored_is_replayed_not_taken_from_the_kept_tracker(
        sqlite_engine, engine, clock):
    await engine.handle_message("telegram", "5", "remind me")
    other_worker = build_engine(sqlite_engine, clock=clock,
                                store=tracker_store(sqlite_engine))
    await other_worker.handle_message("telegram", "5", "cancel")  # leaves the form
    result = await engine.handle_message("telegram", "5", "3 and 1")
    assert "When should I stay quiet?" not in texts(result)


async def test_a_turn_that_could_not_be_stored_leaves_nothing_kept(engine, store, monkeypatch):
    await engine.handle_message("telegram", "5", "hi")
    assert kept(engine) is not None

    def fail(*_args, **_kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("dialogs.engine.tracker_store._write", fail)
    await engine.handle_message("telegram", "5", "help")
    assert kept(engine) is None
    monkeypatch.undo()
    await engine.handle_message("telegram", "5", "help")
    replayed = Tracker("telegram:5", engine.domain, store.session_events("telegram", "5"))
    assert state(kept(engine)) == state(replayed)


async def test_a_session_holding_a_sealed_answer_is_replayed_every_turn(sqlite_engine, clock,
                                                                       store):
    from rasa_sdk.events import SessionStarted, SlotSet

    from dialogs.engine.sealing import SEALED_KEY, SlotSealer

    sealer = SlotSealer(b"test-session-key", now=clock.now)
    engine = build_engine(sqlite_engine, clock=clock, store=store)
    engine._sealer = sealer
    async with store.conversation("telegram", "5") as conversation:
        conversation.append([SessionStarted(), {**SlotSet("password", "[redacted]"),
                                                SEALED_KEY: sealer.seal("hunter22")}],
                            at=clock.now())
    await engine.handle_message("telegram", "5", "hi")
    assert kept(engine) is None


def listening(engine, sender: str, events: int) -> Tracker:
    return Tracker(f"telegram:{sender}", engine.domain,
                   [{"event": "action", "name": "action_listen"}] * events)


def test_the_cache_keeps_to_its_events_dropping_the_least_recently_used(engine):
    """Bounded by events, not conversations: a long session weighs what its events weigh."""
    cache = TrackerCache(max_events=100)
    for sender in "abc":
        cache.keep("telegram", sender, (sender,), listening(engine, sender, 30), stored_json="[]")
    assert cache.size() == (3, 90)
    taken = cache.take("telegram", "a", ("a",))  # a turn of "a": used last when given back
    cache.keep("telegram", "a", ("a", 2), taken, stored_json="[]")
    cache.keep("telegram", "d", ("d",), listening(engine, "d", 30), stored_json="[]")
    assert cache.size() == (3, 90)  # "b", the least recently used, went
    assert cache.take("telegram", "b", ("b",)) is None
    assert cache.take("telegram", "a", ("a", 2)) is taken
    assert cache.size() == (2, 60)  # taken: no longer kept, no longer counted
    cache.keep("telegram", "big", ("big",), listening(engine, "big", 101), stored_json="[]")
    assert cache.size() == (2, 60)  # larger than the whole cache: not kept, nothing dropped
    cache.forget("telegram", "c")
    assert cache.size() == (1, 30)


async def test_many_conversations_keep_the_engine_within_its_tracker_limit(sqlite_engine, clock,
                                                                          store):
    """Thousands of chats in a morning: what the engine keeps stays within the limit."""
    engine = build_engine(sqlite_engine, clock=clock, store=store)
    engine._trackers = TrackerCache(max_events=60)
    for sender in range(12):
        await engine.handle_message("telegram", str(sender), "hi")
        conversations, events = engine.cache_use()["trackers"]
        assert 0 < events <= 60
    assert conversations < 12
    assert kept(engine, "11") is not None and kept(engine, "0") is None
