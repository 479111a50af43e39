"""What a member is told before a wrong password costs them access.

Worked out in one place from the attempt counters (services.accounts.login_tries_left), so that
the warning follows the back-off rule. The counters are kept per username whether or not the
account exists, so the warning reads the same for a username that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from services import accounts
from services.context import Services


@dataclass(frozen=True)
class LockoutWarning:
    """One more wrong password pauses logging in for `minutes`."""

    minutes: int


def warning_before_next_try(svc: Services, username: str, *, source: str | None = None,
                            own_chat: bool = False) -> LockoutWarning | None:
    """The warning due after a wrong password, when the next one starts a delay."""
    if accounts.login_tries_left(svc, username, source=source, own_chat=own_chat) == 1:
        return LockoutWarning(minutes=svc.config.lockout_minutes)
    return None
