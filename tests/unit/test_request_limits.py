"""The per-sender and per-client REST limits: a moving minute, and only the last minute's
sources kept, however many thousands of chats a morning brings."""

from __future__ import annotations

import pytest
from fastapi import HTTPException

from bot.http.request_limits import RequestLimits


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_source_gets_its_limit_a_minute_then_429_until_its_oldest_request_leaves():
    clock = Clock()
    limits = RequestLimits({"sender": 3, "client": 0}, clock=clock)
    for _ in range(3):
        limits.hit("sender", "a")
        clock.now += 10
    with pytest.raises(HTTPException) as refused:
        limits.hit("sender", "a")
    assert refused.value.status_code == 429
    assert refused.value.headers["Retry-After"] == "30"  # the first left at 60 s
    limits.hit("sender", "b")  # another sender is counted apart
    for _ in range(100):
        limits.hit("client", "a")  # 0: no limit
    clock.now += 30
    limits.hit("sender", "a")


def test_senders_quiet_for_a_minute_are_forgotten():
    clock = Clock()
    limits = RequestLimits({"sender": 30}, clock=clock)
    for minute in range(10):  # a new hundred senders every minute
        for n in range(100):
            limits.hit("sender", f"{minute}-{n}")
            clock.now += 0.6
        assert limits.sources() <= 200
    clock.now += 61
    limits.hit("sender", "last")
    assert limits.sources() == 1
