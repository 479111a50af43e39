"""The tracker store on SQLite and PostgreSQL: events per conversation, sessions, and one
member's turns serialized across workers (a row lock on PostgreSQL, a lease on SQLite)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import multiprocessing
import threading
import time

import pytest
from rasa_sdk.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from sqlalchemy import select, update

from dialogs.actions import runtime
from dialogs.engine.action_runner import InProcessActionRunner
from services.persistence.database import make_engine
from services.persistence.models import Conversation, ConversationEvent
from tests.conftest import build_services
from tests.engine_fakes import build_engine, tracker_store
from tests.fakes import FakeGateway

AT = dt.datetime(2026, 11, 17, 15, 0, tzinfo=dt.UTC)


def stored_rows(db_engine) -> list[dict]:
    with db_engine.connect() as conn:
        return list(conn.scalars(select(ConversationEvent.data).order_by(ConversationEvent.id)))


async def test_events_are_kept_per_conversation_and_session(engine):
    store = tracker_store(engine)
    async with store.conversation("telegram", "1") as conversation:
        assert conversation.events == [] and conversation.last_event_at is None
        conversation.append([SessionStarted(), UserUttered("hi")], at=AT)
    async with store.conversation("telegram", "1") as conversation:
        assert [e["event"] for e in conversation.events] == ["session_started", "user"]
        assert conversation.last_event_at == AT
        conversation.append([SessionStarted(), UserUttered("hello again")],
                            at=AT + dt.timedelta(hours=2))

    async with store.conversation("telegram", "1") as conversation:
        assert [e.get("text") for e in conversation.events] == [None, "hello again"]
    assert len(store.session_events("telegram", "1", all_sessions=True)) == 4
    assert store.session_events("console", "1") == []


async def existing_conversation(store) -> None:
    """The conversation's row exists already, as for any member who has talked before (a new
    row would serialize the first turns by itself, through its unique key)."""
    async with store.conversation("telegram", "9"):
        pass


async def one_turn(store, label: str, hold_seconds: float) -> None:
    """A turn that reads the conversation, takes its time, then writes what it saw."""
    async with store.conversation("telegram", "9") as conversation:
        seen = len(conversation.events)
        await asyncio.sleep(hold_seconds)
        conversation.append([UserUttered(label), BotUttered(f"{label} saw {seen}")], at=AT)


def run_in_threads(*jobs) -> None:
    start = threading.Barrier(len(jobs))
    errors = []

    def run(job):
        start.wait()
        try:
            asyncio.run(job())
        except Exception as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors


async def test_two_workers_never_interleave_one_conversation(engine):
    # Two stores are two workers: nothing shared but the database.
    first, second = tracker_store(engine), tracker_store(engine)
    await existing_conversation(first)
    started = time.perf_counter()

    run_in_threads(lambda: one_turn(first, "A", 0.3), lambda: one_turn(second, "B", 0.3))

    assert time.perf_counter() - started >= 0.6
    texts = [e["text"] for e in stored_rows(engine)]
    assert texts in (["A", "A saw 0", "B", "B saw 2"], ["B", "B saw 0", "A", "A saw 2"])


def turn_in_another_process(url: str, label: str, start) -> None:
    start.wait()
    db_engine = make_engine(url)
    try:
        asyncio.run(one_turn(tracker_store(db_engine), label, 0.3))
    finally:
        db_engine.dispose()


async def test_two_processes_never_interleave_one_conversation(engine):
    await existing_conversation(tracker_store(engine))
    url = engine.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("fork")  # the children start with this test's imports
    start = context.Barrier(2)
    workers = [context.Process(target=turn_in_another_process, args=(url, label, start))
               for label in ("A", "B")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)

    assert [worker.exitcode for worker in workers] == [0, 0]
    texts = [e["text"] for e in stored_rows(engine)]
    assert texts in (["A", "A saw 0", "B", "B saw 2"], ["B", "B saw 0", "A", "A saw 2"])


async def test_two_workers_turns_for_one_member_stay_whole(engine, clock, policy, secrets):
    runtime.configure(build_services(engine, gateway=FakeGateway(), clock=clock, policy=policy,
                                     secrets=secrets))

    class SlowRunner(InProcessActionRunner):
        async def run(self, action_call):
            await asyncio.sleep(0.2)
            return await super().run(action_call)

    workers = [build_engine(engine, clock=clock, runner=SlowRunner()) for _ in range(2)]
    await existing_conversation(tracker_store(engine))
    try:
        run_in_threads(*[lambda w=w: w.handle_message("telegram", "9", "cancel")
                         for w in workers])
    finally:
        runtime.configure(None)

    kinds = [(e["event"], e.get("name")) for e in stored_rows(engine)]
    # Nothing to cancel: a short reply, then the help menu.
    turn = [("user", None), ("action", "action_cancel"), ("bot", None), ("bot", None),
            ("action", "action_listen")]
    # One session, started by the first turn; the second turn saw it and came after.
    assert kinds == [("session_started", None), ("action", "action_listen"), *turn, *turn]


async def test_a_failed_turn_gives_the_conversation_back(engine):
    store = tracker_store(engine)
    with pytest.raises(RuntimeError):
        async with store.conversation("telegram", "3") as conversation:
            conversation.append([UserUttered("lost")], at=AT)
            raise RuntimeError("the turn broke")

    async def next_turn():
        async with store.conversation("telegram", "3") as conversation:
            conversation.append([UserUttered("kept")], at=AT)

    await asyncio.wait_for(next_turn(), timeout=5)
    assert [e["text"] for e in stored_rows(engine)] == ["kept"]


async def test_a_lease_left_by_a_crashed_worker_expires(sqlite_engine):
    store = tracker_store(sqlite_engine)
    await existing_conversation(store)

    def leave_lease(expires_in: dt.timedelta) -> None:
        with sqlite_engine.begin() as conn:
            conn.execute(update(Conversation).values(
                lease_owner="crashed-worker", lease_expires_at=dt.datetime.now(dt.UTC)
                + expires_in))

    leave_lease(dt.timedelta(minutes=1))
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(one_turn(store, "A", 0), timeout=0.3)

    leave_lease(-dt.timedelta(seconds=1))
    await asyncio.wait_for(one_turn(store, "A", 0), timeout=5)
    assert [e["text"] for e in stored_rows(sqlite_engine)] == ["A", "A saw 0"]


async def test_card_numbers_never_reach_the_database(engine, clock):
    await build_engine(engine, clock=clock).handle_message(
        "telegram", "8", "pay with 4000 0000 0000 9995 please")

    rows = json.dumps(stored_rows(engine))
    assert "9995" not in rows and "4000" not in rows
    assert "pay with [card number removed] please" in rows


async def test_the_last_events_stored_are_the_turns_listen(engine, clock):
    await build_engine(engine, clock=clock).handle_message("telegram", "8", "/help")

    assert stored_rows(engine)[-1] == {**ActionExecuted("action_listen"),
                                       "timestamp": AT.timestamp()}
