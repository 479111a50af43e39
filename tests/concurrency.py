"""Running the same use case from several threads at once, to test exactly-once guarantees."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from tests.fakes import FakeGateway


class ThreadSafeFakeGateway(FakeGateway):
    """FakeGateway with each call atomic, as a real gateway's idempotency is."""

    def __init__(self):
        super().__init__()
        self._lock = threading.Lock()

    def charge(self, request):
        with self._lock:
            return super().charge(request)

    def retrieve(self, *, idempotency_key, gateway_ref):
        with self._lock:
            return super().retrieve(idempotency_key=idempotency_key, gateway_ref=gateway_ref)


def run_together(*calls: Callable[[], Any], timeout: float = 30) -> list[Any]:
    """Start every call at the same moment, each in its own thread; their results (or the
    exceptions they raised) in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - handed back for the test to judge
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return results
