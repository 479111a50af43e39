"""Clocks: the real one, and a settable one for tests and demos that move time."""

from __future__ import annotations

import datetime as dt


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FixedClock:
    """A clock that stays where it is put: `clock.advance(days=3)` moves it."""

    def __init__(self, now: dt.datetime):
        if now.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._now = now

    def now(self) -> dt.datetime:
        return self._now

    def set(self, now: dt.datetime) -> None:
        self._now = now

    def advance(self, **delta) -> None:
        self._now = self._now + dt.timedelta(**delta)
