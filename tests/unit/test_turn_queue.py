"""The turn queue: turns off the event loop, one per conversation in order, conversations served
round-robin, and a refusal (not a wait) past the waiting limit."""

from __future__ import annotations

import asyncio
import threading

import pytest

from dialogs.engine.turn_queue import Busy, TurnQueue


def recorder(log: list, name: str, gate: threading.Event | None = None):
    async def turn():
        if gate is not None:
            assert gate.wait(10), "the test never opened the gate"
        log.append(name)
        return name
    return turn


async def test_a_turn_runs_off_the_callers_thread():
    queue = TurnQueue(2)

    async def turn():
        return threading.get_ident()

    assert await queue.run("a", turn) != threading.get_ident()


async def test_a_blocked_turn_holds_only_its_own_thread():
    queue = TurnQueue(2)
    log: list[str] = []
    gate = threading.Event()
    blocked = asyncio.ensure_future(queue.run("a", recorder(log, "a", gate)))

    assert await queue.run("b", recorder(log, "b")) == "b"
    gate.set()
    assert await blocked == "a"
    assert log == ["b", "a"]


async def test_one_conversations_turns_run_one_at_a_time_in_order():
    queue = TurnQueue(4)
    log: list[str] = []
    gate = threading.Event()
    first = asyncio.ensure_future(queue.run("a", recorder(log, "a1", gate)))
    await asyncio.sleep(0)
    later = [asyncio.ensure_future(queue.run("a", recorder(log, f"a{n}"))) for n in (2, 3, 4)]
    await asyncio.sleep(0.05)
    assert log == []  # a2..a4 wait for a1, though threads are free
    gate.set()
    await asyncio.gather(first, *later)
    assert log == ["a1", "a2", "a3", "a4"]


async def test_conversations_take_turns_round_robin():
    queue = TurnQueue(1)
    log: list[str] = []
    gate = threading.Event()
    runs = [asyncio.ensure_future(queue.run("a", recorder(log, "a1", gate)))]
    await asyncio.sleep(0)
    runs += [asyncio.ensure_future(queue.run("a", recorder(log, name))) for name in ("a2", "a3")]
    await asyncio.sleep(0)
    runs.append(asyncio.ensure_future(queue.run("b", recorder(log, "b1"))))
    await asyncio.sleep(0)
    gate.set()
    await asyncio.gather(*runs)
    assert log == ["a1", "b1", "a2", "a3"]


async def test_past_the_waiting_limit_a_turn_is_refused_at_once():
    queue = TurnQueue(1, max_waiting=2)
    gate = threading.Event()
    log: list[str] = []
    runs = [asyncio.ensure_future(queue.run(n, recorder(log, str(n), gate))) for n in range(3)]
    await asyncio.sleep(0)
    assert queue.use().running == 1 and queue.use().waiting == 2

    with pytest.raises(Busy):
        await queue.run("late", recorder(log, "late"))
    gate.set()
    await asyncio.gather(*runs)
    assert sorted(log) == ["0", "1", "2"]
    assert queue.use().waiting == 0 and queue.use().running == 0


async def test_a_turns_error_reaches_its_caller_and_the_queue_goes_on():
    queue = TurnQueue(1)

    async def failing():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await queue.run("a", failing)
    assert await queue.run("a", recorder([], "next")) == "next"


async def test_a_turn_that_waited_too_long_is_refused_not_run():
    now = [0.0]
    queue = TurnQueue(1, max_wait_seconds=10, clock=lambda: now[0])
    log: list[str] = []
    gate = threading.Event()
    first = asyncio.ensure_future(queue.run("a", recorder(log, "a1", gate)))
    await asyncio.sleep(0)
    stale = asyncio.ensure_future(queue.run("b", recorder(log, "b1")))
    await asyncio.sleep(0)
    now[0] = 11.0
    fresh = asyncio.ensure_future(queue.run("c", recorder(log, "c1")))
    await asyncio.sleep(0)
    gate.set()

    assert await first == "a1" and await fresh == "c1"
    with pytest.raises(Busy):
        await stale
    assert log == ["a1", "c1"]
    assert queue.use().waiting == 0


# --- adaptive admission: one turn at a time while turns are quick ----------------------------


async def test_quick_turns_run_one_at_a_time_on_one_thread():
    # admit_after far above these turns' time, even on a loaded machine
    queue = TurnQueue(8, admit_after=5.0)
    running, most, threads = [0], [0], set()
    lock = threading.Lock()

    def counted(name: str):
        async def turn():
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            threads.add(threading.get_ident())
            await asyncio.sleep(0.001)
            with lock:
                running[0] -= 1
            return name
        return turn

    names = [f"{chat}-{n}" for n in range(5) for chat in "abcdefgh"]
    results = await asyncio.gather(*(queue.run(name[0], counted(name)) for name in names))

    assert results == names
    assert most[0] == 1  # never two at once, though 8 chats waited and 8 threads were allowed
    assert len(threads) == 1  # the thread that finished a turn took the next itself


async def test_a_turn_busy_past_admit_after_lets_the_next_chat_start_on_another_thread():
    queue = TurnQueue(8, admit_after=0.05)
    gate = threading.Event()
    log: list[str] = []
    slow = asyncio.ensure_future(queue.run("slow", recorder(log, "slow", gate)))
    await asyncio.sleep(0)

    other = await asyncio.wait_for(queue.run("other", recorder(log, "other")), 5)

    assert other == "other" and log == ["other"]  # answered while "slow" was still blocked
    assert queue.use().running == 1
    gate.set()
    assert await slow == "slow"


async def test_before_admit_after_the_next_chat_waits_for_the_running_turn():
    queue = TurnQueue(8, admit_after=5.0)
    gate = threading.Event()
    log: list[str] = []
    first = asyncio.ensure_future(queue.run("a", recorder(log, "a", gate)))
    await asyncio.sleep(0)
    second = asyncio.ensure_future(queue.run("b", recorder(log, "b")))
    await asyncio.sleep(0.2)

    assert log == [] and queue.use().running == 1 and queue.use().waiting == 1
    gate.set()
    assert await asyncio.gather(first, second) == ["a", "b"]
    assert log == ["a", "b"]


async def test_slow_turns_each_admit_one_more_up_to_the_thread_limit():
    queue = TurnQueue(3, admit_after=0.02)
    gate = threading.Event()
    log: list[str] = []
    runs = [asyncio.ensure_future(queue.run(n, recorder(log, str(n), gate))) for n in range(5)]
    for _ in range(200):
        await asyncio.sleep(0.01)
        if queue.use().running == 3:
            break

    await asyncio.sleep(0.1)
    assert queue.use().running == 3 and queue.use().waiting == 2  # never more than 3 threads
    gate.set()
    await asyncio.gather(*runs)
    assert sorted(log) == ["0", "1", "2", "3", "4"]
    assert queue.use().running == 0 and queue.use().waiting == 0


def test_admission_waits_10_ms_on_sqlite_and_not_on_postgresql_unless_set():
    from bot.settings import Settings

    assert Settings(DATABASE_URL="").effective_turn_admit_after == 0.010
    assert Settings(DATABASE_URL="sqlite:///x.db").effective_turn_admit_after == 0.010
    assert Settings(DATABASE_URL="postgresql+psycopg://h/db").effective_turn_admit_after == 0.0
    assert Settings(DATABASE_URL="postgresql+psycopg://h/db",
                    TURN_ADMIT_AFTER_SECONDS="0.05").effective_turn_admit_after == 0.05


async def test_with_admit_after_0_turns_start_at_once_up_to_the_thread_limit():
    queue = TurnQueue(3, admit_after=0)
    gate = threading.Event()
    log: list[str] = []
    runs = [asyncio.ensure_future(queue.run(n, recorder(log, str(n), gate))) for n in range(5)]
    await asyncio.sleep(0)

    assert queue.use().running == 3 and queue.use().waiting == 2  # started in run(), no timer
    gate.set()
    await asyncio.gather(*runs)
    assert sorted(log) == ["0", "1", "2", "3", "4"]


async def test_a_turn_held_back_when_a_thread_finishes_starts_once_the_other_turn_is_slow():
    # x2 becomes ready when x1 ends, while y1 has only just started: it waits, and starts on
    # a thread of its own once y1 has been busy admit_after (y1 still blocked).
    queue = TurnQueue(4, admit_after=0.05)
    x_gate, y_gate, y_started = threading.Event(), threading.Event(), threading.Event()
    log: list[str] = []

    async def y1():
        y_started.set()
        assert y_gate.wait(10)
        return "y1"

    x1 = asyncio.ensure_future(queue.run("x", recorder(log, "x1", x_gate)))
    x2 = asyncio.ensure_future(queue.run("x", recorder(log, "x2")))
    y = asyncio.ensure_future(queue.run("y", y1))
    for _ in range(500):
        if y_started.is_set():
            break
        await asyncio.sleep(0.01)
    x_gate.set()

    assert await asyncio.wait_for(x2, 2) == "x2"  # idle threads look only every 5 s
    assert not y.done()
    y_gate.set()
    assert await x1 == "x1" and await y == "y1"
