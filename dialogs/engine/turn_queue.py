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

Threads are admitted adaptively: while turns are quick, one runs at a time, and the thread that
finishes a turn takes the next itself. Each further running turn costs CPU in GIL hand-offs
(every SQLite call releases the GIL, and a waiting thread takes it: bench/README.md note 4), and
a quick turn gains nothing from company. Another turn starts beside a running one only once that
one has been busy for `admit_after` seconds (argon2, a gateway answer, a lock wait), so a slow
turn still stalls only its own member, up to `threads` at once. The check is a timer on the
caller's event loop, armed only while turns are held back.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

# A running turn this long busy lets the next waiting turn start on another thread. Above a
# quick turn's time (1-5 ms on SQLite: bench/README.md), well below what a member notices.
ADMIT_AFTER_SECONDS = 0.010
# An idle turn thread looks this often whether its queue is still in use (it exits with it).
_IDLE_POLL_SECONDS = 5.0


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


class TurnQueue:
    def __init__(self, threads: int = 8, *, max_waiting: int = 1000,
                 max_wait_seconds: float | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 admit_after: float = ADMIT_AFTER_SECONDS):
        if threads < 1:
            raise ValueError("a turn queue needs at least one thread")
        self._threads = threads
        self._max_waiting = max_waiting
        self._max_wait = max_wait_seconds
        self._clock = clock  # for max_wait_seconds (tests move it by hand)
        self._admit_after = admit_after
        self._lock = threading.Lock()  # callers' loops and the turn threads both book-keep
        self._work = threading.Condition(self._lock)  # idle turn threads wait on it
        self._running = 0
        self._waiting = 0
        self._ready: deque[Hashable] = deque()  # conversations whose next turn may start
        self._turns: dict[Hashable, deque] = {}  # a conversation's turns not yet finished
        self._started: dict[int, float] = {}  # running turn -> when it started
        self._turn_numbers = itertools.count()
        self._handed: deque[tuple] = deque()  # turns started, for an idle thread to run
        self._workers = 0  # turn threads alive
        self._idle = 0  # of them, waiting for work
        self._returning = 0  # of them, done with a turn and about to look for the next
        self._timer: asyncio.TimerHandle | bool | None = None  # the held-back check, when armed
        self._timer_loop: asyncio.AbstractEventLoop | None = None

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
            self._wake()
            self._arm(loop)
        return await done

    def use(self) -> QueueUse:
        with self._lock:
            return QueueUse(self._threads, self._running, self._waiting, self._max_waiting)

    # --- admission (all under the lock) --------------------------------------------------

    def _admitted(self, now: float) -> int:
        """How many turns may run now: one, and one more for each running turn that has
        been busy for `admit_after` (with none, as many as there are threads)."""
        if self._admit_after <= 0:
            return self._threads
        slow = sum(1 for since in self._started.values() if now - since >= self._admit_after)
        return min(self._threads, 1 + slow)

    def _wake(self) -> None:
        """Start the waiting turns that may start now, each on an idle turn thread or a new
        one. (A thread that finishes a turn takes the next itself, without this.)"""
        now = time.monotonic()
        while self._ready and self._running < self._admitted(now):
            taken = self._take()
            if taken is None:
                break
            if self._idle + self._returning > len(self._handed):
                self._handed.append(taken)
                self._work.notify()
            else:
                self._workers += 1
                threading.Thread(target=_work, args=(weakref.ref(self), self._work, taken),
                                 name=f"turn-{self._workers}", daemon=True).start()

    def _arm(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """While turns wait behind quick ones, check again when the oldest running turn will
        have been busy for `admit_after`: a timer on `loop` (by default the event loop of the
        first waiting turn's caller), set from a turn thread through that loop."""
        if not self._ready or self._running == 0 or self._running >= self._threads:
            return
        if self._timer is not None and not self._timer_loop.is_closed():
            return
        if loop is None:
            loop = self._turns[self._ready[0]][0][1]
            if loop.is_closed():
                return
        try:
            on_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            on_loop = False
        self._timer_loop = loop
        if not on_loop:  # on a turn thread: let the loop set the timer
            self._timer = True
            loop.call_soon_threadsafe(self._recheck, loop)
            return
        now = time.monotonic()
        quick = [since for since in self._started.values() if now - since < self._admit_after]
        delay = (min(quick) + self._admit_after - now) if quick else self._admit_after
        self._timer = loop.call_later(max(delay, 0.0), self._recheck, loop)

    def _recheck(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            self._timer = None
            self._wake()
            self._arm(loop)

    def _take(self) -> tuple | None:
        """The next turn this thread may start, if any; those that waited too long are
        answered `Busy` on the way."""
        now = self._clock()
        while self._ready and self._running < self._admitted(time.monotonic()):
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
            number = next(self._turn_numbers)
            self._started[number] = time.monotonic()
            return number, conversation, turn, loop, done
        return None

    def _finished(self, number: int, conversation: Hashable) -> None:
        self._running -= 1
        del self._started[number]
        queued = self._turns[conversation]
        queued.popleft()
        if queued:
            self._ready.append(conversation)  # behind the others: round-robin
        else:
            del self._turns[conversation]


def _work(queue_ref: weakref.ref, work: threading.Condition, taken: tuple | None) -> None:
    """A turn thread: run `taken`, then take turns while there are any this thread may start
    (no hand-off to another thread), then wait to be handed one. It holds its queue only
    weakly while idle, and exits once the queue is gone."""
    with work:
        while (queue := queue_ref()) is not None:
            if taken is None:
                taken = queue._handed.popleft() if queue._handed else queue._take()
            if taken is None:
                queue._arm()  # turns held back behind running ones: someone must look again
                queue._idle += 1
                del queue
                work.wait(_IDLE_POLL_SECONDS)  # notified or not, it looks again
                if (queue := queue_ref()) is not None:
                    queue._idle -= 1
                continue
            queue._wake()  # more may start beside this one
            number, conversation, turn, loop, done = taken
            work.release()
            try:
                outcome = (True, _thread_loop().run_until_complete(turn()))
            except BaseException as error:  # noqa: BLE001 - it goes to the turn's caller
                outcome = (False, error)
            finally:
                work.acquire()
            queue._finished(number, conversation)
            # Outside the lock: waking the caller's loop is a system call, which lets the GIL
            # go, and a thread that took it and wants the lock would have to wait for this one.
            # Meanwhile this thread counts as coming back for work (no new one for its place).
            queue._returning += 1
            work.release()
            try:
                if not loop.is_closed():
                    loop.call_soon_threadsafe(_settle, done, outcome)
            finally:
                work.acquire()
                queue._returning -= 1
            # No hand-off: this thread goes on to take the next turn itself.
            del turn, loop, done, outcome
            taken = None


def _refuse(done: asyncio.Future, waited: float) -> None:
    if not done.cancelled():
        done.set_exception(Busy(f"waited {waited:.1f} s"))


def _settle(done: asyncio.Future, outcome: tuple[bool, Any]) -> None:
    if done.cancelled():  # the caller went away; the turn itself was stored all the same
        return
    ok, value = outcome
    if ok:
        done.set_result(value)
    else:
        done.set_exception(value)
