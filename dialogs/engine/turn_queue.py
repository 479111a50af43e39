"""Where turns run: off the event loop, a bounded number at a time, one per conversation.

A turn is synchronous work from end to end (the NLU, argon2, every database statement, gateway
calls with their timeouts); on the channel's event loop one slow turn would stall every member
of the worker, `/healthz` included. So each turn runs on one of `threads` worker threads, each
with an event loop of its own for the turn's coroutines, and a slow turn holds only its thread.

Turns wait in this queue, not in the database's connection pools: at most `threads` turns hold
connections at once, so pools sized for that never make a turn wait for a connection (and the
event loop never does). Waiting turns are served fairly: one turn of a conversation at a time,
in the order its messages came, and conversations take turns round-robin, so a member who sends
many messages does not hold up the others. When the worker cannot keep up, `run` raises `Busy`
rather than letting the member wait for nothing: at once past `max_waiting` waiting turns, and
for a turn that waited longer than `max_wait_seconds` (its member has likely given up, and
running it late would only make the turns behind it later still).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any


class Busy(Exception):
    """Too many turns are waiting: this one was not run."""


@dataclass(frozen=True)
class QueueUse:
    threads: int
    running: int
    waiting: int
    max_waiting: int


_thread_state = threading.local()


def _thread_loop() -> asyncio.AbstractEventLoop:
    loop = getattr(_thread_state, "loop", None)
    if loop is None:
        loop = _thread_state.loop = asyncio.new_event_loop()
    return loop


def _run_on_thread(turn: Callable[[], Awaitable[Any]]) -> Any:
    return _thread_loop().run_until_complete(turn())


class TurnQueue:
    def __init__(self, threads: int = 8, *, max_waiting: int = 1000,
                 max_wait_seconds: float | None = None,
                 clock: Callable[[], float] = time.monotonic):
        if threads < 1:
            raise ValueError("a turn queue needs at least one thread")
        self._threads = threads
        self._max_waiting = max_waiting
        self._max_wait = max_wait_seconds
        self._clock = clock
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="turn")
        self._lock = threading.Lock()  # callers' loops and the turn threads both book-keep
        self._running = 0
        self._waiting = 0
        self._ready: deque[Hashable] = deque()  # conversations whose next turn may start
        self._turns: dict[Hashable, deque] = {}  # a conversation's turns not yet finished

    async def run(self, conversation: Hashable, turn: Callable[[], Awaitable[Any]]) -> Any:
        """Run `turn()` (a coroutine function) on a turn thread, after the earlier turns of
        `conversation`; its result, or its exception."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future = loop.create_future()
        with self._lock:
            if self._waiting >= self._max_waiting:
                raise Busy(f"{self._waiting} turns waiting")
            self._waiting += 1
            entry = (turn, loop, done, self._clock())
            queued = self._turns.get(conversation)
            if queued is None:
                self._turns[conversation] = deque([entry])
                self._ready.append(conversation)
            else:
                queued.append(entry)
            started = self._start_ready()
        self._submit(started)
        return await done

    def use(self) -> QueueUse:
        with self._lock:
            return QueueUse(self._threads, self._running, self._waiting, self._max_waiting)

    def _start_ready(self) -> list:
        """Under the lock: take the turns that may start now off the queue; those that waited
        too long are answered `Busy` instead."""
        started = []
        now = self._clock()
        while self._running < self._threads and self._ready:
            conversation = self._ready.popleft()
            queued = self._turns[conversation]
            turn, loop, done, enqueued = queued[0]
            self._waiting -= 1
            if self._max_wait is not None and now - enqueued > self._max_wait:
                queued.popleft()
                if queued:
                    self._ready.append(conversation)
                else:
                    del self._turns[conversation]
                if not loop.is_closed():
                    loop.call_soon_threadsafe(_refuse, done, now - enqueued)
                continue
            self._running += 1
            started.append((conversation, turn, loop, done))
        return started

    def _submit(self, started: list) -> None:
        for conversation, turn, loop, done in started:
            future = self._executor.submit(_run_on_thread, turn)
            future.add_done_callback(
                lambda f, c=conversation, lp=loop, d=done: self._finished(c, lp, d, f))

    def _finished(self, conversation: Hashable, loop: asyncio.AbstractEventLoop,
                  done: asyncio.Future, future: Future) -> None:
        with self._lock:
            self._running -= 1
            queued = self._turns[conversation]
            queued.popleft()
            if queued:
                self._ready.append(conversation)  # behind the others: round-robin
            else:
                del self._turns[conversation]
            started = self._start_ready()
        self._submit(started)
        if not loop.is_closed():
            loop.call_soon_threadsafe(_settle, done, future)


def _refuse(done: asyncio.Future, waited: float) -> None:
    if not done.cancelled():
        done.set_exception(Busy(f"waited {waited:.1f} s"))


def _settle(done: asyncio.Future, future: Future) -> None:
    if done.cancelled():  # the caller went away; the turn itself was stored all the same
        return
    if future.cancelled():
        done.cancel()
    elif (error := future.exception()) is not None:
        done.set_exception(error)
    else:
        done.set_result(future.result())
