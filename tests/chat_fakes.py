"""A chat sender for tests: records what it sends, and fails when told to."""

from __future__ import annotations

from collections import deque


class RecordingSender:
    def __init__(self, channels=("telegram", "console")):
        self.channels = frozenset(channels)
        self.sent: list[tuple[str, str, str, list | None]] = []
        self._failures: deque[Exception] = deque()

    def fail_next(self, *errors: Exception) -> None:
        """The next sends raise these, in order (DeliveryRetryLater, RecipientUnreachable,
        or anything else)."""
        self._failures.extend(errors)

    def send(self, channel, chat_id, text, buttons=None):
        if self._failures:
            raise self._failures.popleft()
        self.sent.append((channel, chat_id, text, buttons))

    @property
    def texts(self) -> list[str]:
        return [text for _, _, text, _ in self.sent]


class NoPacer:
    """Records pauses; never waits."""

    def __init__(self):
        self.pauses: list[float] = []

    def acquire(self) -> None:
        pass

    def pause(self, seconds: float) -> None:
        self.pauses.append(seconds)

