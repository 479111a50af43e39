"""Requests a minute per source (a REST sender, a client address), in this worker's memory.

A moving window: a source may make `limit` requests in any 60 seconds; beyond, 429 with
Retry-After, the seconds until its oldest request in the window leaves it. Each worker counts
its own requests, so N workers behind a load balancer allow up to N times the limit in all; the
database-backed counters of services.attempt_limits are what bound password and identity
guessing across workers.

What is kept is what the window needs and no more: a source quiet for a whole window is
forgotten. A morning brings many thousands of senders, and keeping each one seen (as the
`limits` library's memory storage did: an emptied list per key, never removed) grew a worker
with every new chat.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from fastapi import HTTPException

WINDOW_SECONDS = 60.0


class RequestLimits:
    def __init__(self, per_minute: dict[str, int], *,
                 clock: Callable[[], float] = time.monotonic):
        """`per_minute`: the limit for each kind of source ("sender", "client"); 0: none."""
        self._limits = {kind: limit for kind, limit in per_minute.items() if limit > 0}
        self._clock = clock
        # Times of each source's requests in the window; least recently heard from first.
        self._seen: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()
        # Sync dependencies run on the server's thread pool: several hits at once.
        self._lock = threading.Lock()

    def hit(self, kind: str, key: str) -> None:
        """Count one request from `key`; HTTP 429 when it is over the limit of its kind."""
        limit = self._limits.get(kind)
        if limit is None:
            return
        now = self._clock()
        with self._lock:
            self._forget_quiet(now)
            times = self._seen.pop((kind, key), None) or deque()
            self._seen[(kind, key)] = times
            while times and times[0] <= now - WINDOW_SECONDS:
                times.popleft()
            if len(times) < limit:
                times.append(now)
                return
            retry_after = max(1, math.ceil(times[0] + WINDOW_SECONDS - now))
        raise HTTPException(status_code=429, detail="Too many requests. Please slow down.",
                            headers={"Retry-After": str(retry_after)})

    def sources(self) -> int:
        """Sources kept: those heard from within about the last window."""
        with self._lock:
            return len(self._seen)

    def _forget_quiet(self, now: float) -> None:
        """Drop, least recently heard from first, the sources with nothing left in the
        window."""
        while self._seen:
            times = next(iter(self._seen.values()))
            if times and times[-1] > now - WINDOW_SECONDS:
                return
            self._seen.popitem(last=False)
