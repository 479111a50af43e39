"""Keeping to a rate of calls (messages to Telegram, calls to the gateway) across every worker.

A `DatabasePacer`'s state is one row (send_pacers): the time of
the next free slot. Each call reserves a slot with a single UPDATE that moves the row on by
1/rate and returns the slot, then sleeps until it. The row lock serializes reservations, so any
number of workers on one database together keep to the rate, each getting slots as it asks —
no per-worker share to configure. Slots are reckoned in wall-clock seconds (time.time), so
workers on different hosts need synchronized clocks (NTP), as they do for leases anyway.

A 429 from the other side pauses everybody: `pause` moves the next free slot past it.

`burst_seconds` lets a call go that much before its slot (the "tolerance" of the generic cell
rate algorithm): the long-run rate stays the same, and a worker that was late for one slot is
not held back for the next. A gateway counting with a token bucket allows that; a strict
"N in any second" limit, like the fake Telegram server's, does not (burst 0).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import case, update

from services.persistence.bulk import insert_missing
from services.persistence.models import SendPacer
from services.persistence.unit_of_work import UnitOfWork


class DatabasePacer:
    def __init__(self, uow_factory: Callable[[], UnitOfWork], name: str,
                 rate_per_second: float, *, burst_seconds: float = 0.0,
                 clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep):
        if rate_per_second <= 0:
            raise ValueError("a pacer needs a positive rate")
        self._uow_factory = uow_factory
        self._name = name
        self._step = 1.0 / rate_per_second
        self._burst = burst_seconds
        self._clock = clock
        self._sleep = sleep
        self._row_ready = False

    def acquire(self) -> None:
        slot_end = self._move_next_slot(lambda now: now, self._step)
        _wait_until(slot_end - self._step - self._burst, self._clock, self._sleep)

    def pause(self, seconds: float) -> None:
        self._move_next_slot(lambda now: now + seconds, 0.0)

    def _move_next_slot(self, earliest: Callable[[float], float], step: float) -> float:
        """next = max(next, earliest(now)) + step, atomically; returns the new next."""
        with self._uow_factory() as uow:
            session = uow.session
            if not self._row_ready:
                insert_missing(session, SendPacer.__table__,
                               [{"name": self._name, "next_slot_at": 0.0}], unique=["name"])
                self._row_ready = True
            floor = earliest(self._clock())
            next_slot = SendPacer.next_slot_at
            moved = session.execute(
                update(SendPacer).where(SendPacer.name == self._name)
                .values(next_slot_at=case((next_slot > floor, next_slot), else_=floor) + step)
                .returning(SendPacer.next_slot_at)
                .execution_options(synchronize_session=False)
            ).scalar_one()
            uow.commit()
            return moved


def _wait_until(moment: float, clock: Callable[[], float],
                sleep: Callable[[float], None]) -> None:
    delay = moment - clock()
    if delay > 0:
        sleep(delay)
