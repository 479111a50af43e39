"""What keeps one member from freezing a worker: turns run off the event loop (a slow action
stalls only its own member), a refused turn gets a short "busy" reply, and a session that grew
past its cap starts afresh with its state, so a turn's cost does not grow with history."""

from __future__ import annotations

import asyncio
import threading

from dialogs.engine import InProcessActionRunner
from dialogs.engine.turn_queue import TurnQueue
from tests.engine_fakes import build_engine, texts, tracker_store


class BlockingRunner:
    """In-process actions, except that sender "slow" blocks its thread (as argon2, a database
    wait or an 8-second gateway answer would) until the test releases it."""

    def __init__(self):
        self.inner = InProcessActionRunner()
        self.release = threading.Event()
        self.timed_out = False

    async def run(self, action_call: dict) -> dict:
        if action_call["sender_id"] == "telegram:slow" and not self.release.is_set():
            self.timed_out = not self.release.wait(10)
        return await self.inner.run(action_call)


async def test_a_slow_action_stalls_only_its_own_member(sqlite_engine, clock, services):
    runner = BlockingRunner()
    engine = build_engine(sqlite_engine, clock=clock, runner=runner)
    slow = asyncio.ensure_future(engine.handle_message("telegram", "slow", "hi"))
    await asyncio.sleep(0)

    other = await engine.handle_message("telegram", "other", "hi")
    heartbeat = await asyncio.wait_for(asyncio.sleep(0, result="loop answers"), 1)

    assert not runner.release.is_set()  # answered while the slow member was still blocked
    assert texts(other)[0].startswith("Hello!")
    assert heartbeat == "loop answers"
    runner.release.set()
    assert texts(await slow)[0].startswith("Hello!")
    assert not runner.timed_out


async def test_a_member_is_told_the_worker_is_busy_when_turns_pile_up(sqlite_engine, clock,
                                                                       services):
    runner = BlockingRunner()
    engine = build_engine(sqlite_engine, clock=clock, runner=runner,
                          turn_queue=TurnQueue(1, max_waiting=1))
    slow = asyncio.ensure_future(engine.handle_message("telegram", "slow", "hi"))
    await asyncio.sleep(0)
    waiting = asyncio.ensure_future(engine.handle_message("telegram", "next", "hi"))
    await asyncio.sleep(0)

    busy = await engine.handle_message("telegram", "late", "hi")

    assert busy.busy
    assert "busy" in texts(busy)[0]
    assert not engine.ready
    runner.release.set()
    assert not (await slow).busy and not (await waiting).busy
    store = tracker_store(sqlite_engine)
    assert store.session_events("telegram", "late") == []  # nothing of it was run or stored


async def test_a_long_session_starts_afresh_and_stays_short(sqlite_engine, clock, services):
    store = tracker_store(sqlite_engine)
    engine = build_engine(sqlite_engine, clock=clock, store=store, max_session_events=30)

    for _ in range(40):
        await engine.handle_message("telegram", "5", "thanks")

    current = store.session_events("telegram", "5")
    every = store.session_events("telegram", "5", all_sessions=True)
    assert len(every) > 100
    assert len(current) < 30 + 15
    assert current[0]["event"] == "session_started"


async def test_a_form_carries_over_into_the_new_session(sqlite_engine, clock, services):
    store = tracker_store(sqlite_engine)
    engine = build_engine(sqlite_engine, clock=clock, store=store, max_session_events=30)
    for _ in range(4):
        await engine.handle_message("telegram", "5", "thanks")
    await engine.handle_message("telegram", "5", "remind me")
    await engine.handle_message("telegram", "5", "yes")
    before = len(store.session_events("telegram", "5"))

    result = await engine.handle_message("telegram", "5", "3 and 1")

    assert before >= 30  # so this turn began a new session...
    assert store.session_events("telegram", "5")[0]["event"] == "session_started"
    assert texts(result)[0].startswith("When should I stay quiet?")  # ...and the form went on
