"""Non-overlapping character spans, claimed first come first served."""

from __future__ import annotations

from bisect import bisect_right


class SpanSet:
    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []

    def claim(self, start: int, end: int) -> bool:
        """Take [start, end) if no span taken so far overlaps it."""
        i = bisect_right(self._starts, start)
        if i and self._ends[i - 1] > start:
            return False
        if i < len(self._starts) and self._starts[i] < end:
            return False
        self._starts.insert(i, start)
        self._ends.insert(i, end)
        return True
