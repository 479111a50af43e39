"""What a member is told before a wrong password costs them access.

Worked out in one place from the lock-out settings, so that a different rule (a longer lock, a
back-off instead of a lock) changes the warning with it. It counts the failures the member has
seen in a row in their chat, never the account's own count: the warning must read the same for
a username that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.context import Services


@dataclass(frozen=True)
class LockoutWarning:
    """One more wrong password locks the account for `minutes`."""

    minutes: int


def warning_before_next_try(svc: Services, failures_in_a_row: int) -> LockoutWarning | None:
    """The warning due after `failures_in_a_row` wrong passwords, when the next one locks."""
    if svc.config.lockout_after_failures - failures_in_a_row == 1:
        return LockoutWarning(minutes=svc.config.lockout_minutes)
    return None
