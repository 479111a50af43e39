"""Requests a minute per source (a REST sender, a client address), in this worker's memory.

A moving window from the `limits` library: a client over its limit gets 429 with Retry-After,
the seconds until its oldest request in the window leaves it. Each worker counts its own
requests, so N workers behind a load balancer allow up to N times the limit in all; the
database-backed counters of services.attempt_limits are what bound password and identity
guessing across workers.
"""

from __future__ import annotations

import math
import time

from fastapi import HTTPException
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


class RequestLimits:
    def __init__(self, per_minute: dict[str, int]):
        """`per_minute`: the limit for each kind of source ("sender", "client"); 0: none."""
        self._items = {kind: RateLimitItemPerMinute(limit)
                       for kind, limit in per_minute.items() if limit > 0}
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, kind: str, key: str) -> None:
        """Count one request from `key`; HTTP 429 when it is over the limit of its kind."""
        item = self._items.get(kind)
        if item is None or self._limiter.hit(item, kind, key):
            return
        reset_at = self._limiter.get_window_stats(item, kind, key).reset_time
        retry_after = max(1, math.ceil(reset_at - time.time()))
        raise HTTPException(status_code=429, detail="Too many requests. Please slow down.",
                            headers={"Retry-After": str(retry_after)})
