"""What every use case receives: the unit of work, the ports, the configuration and policy.

Built once by the composition root (bot/bootstrap.py) from settings; tests build it with fakes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from services.persistence.unit_of_work import UnitOfWork
from services.policy import ExchangePolicy
from services.ports import Clock, Notifier, PaymentGateway


@dataclass(frozen=True)
class ReadLimits:
    """How long a chat on one channel stays logged in even for reading (balance, history):
    after `idle_minutes` without a message, or `max_hours` after logging in, it is logged out.
    0: no limit. Money actions have their own, shorter idle limit (session_idle_minutes)."""

    idle_minutes: int = 0
    max_hours: int = 0


@dataclass(frozen=True)
class ServiceConfig:
    max_payment_cents: int = 1_000_000  # $10,000.00 at most in one payment
    allow_overpayment: bool = False
    session_idle_minutes: int = 15
    lockout_after_failures: int = 5
    lockout_minutes: int = 15
    setup_token_minutes: int = 15
    public_base_url: str = "http://127.0.0.1:8000"
    # Per channel; a channel not listed keeps its chats logged in for reading until they log out.
    # On REST the sender id is the whole credential, so its sessions end even for reading.
    read_limits: dict[str, ReadLimits] = field(
        default_factory=lambda: {"rest": ReadLimits(idle_minutes=30, max_hours=12)})


@dataclass(frozen=True)
class Secrets:
    ssn_hash_key: bytes  # HMAC key for matching SSNs without storing them
    session_key: bytes  # signs one-time tokens and opaque button keys


@dataclass
class Services:
    uow_factory: Callable[[], UnitOfWork]
    gateway: PaymentGateway
    clock: Clock
    config: ServiceConfig
    policy: ExchangePolicy
    secrets: Secrets
    notifier: Notifier | None = None
    # For chat state only (the conversation tracker, Telegram buttons), never money: a unit
    # of work whose commits need not wait for the disk. Without one, `uow_factory` serves.
    chat_state_uow_factory: Callable[[], UnitOfWork] | None = None

    def uow(self) -> UnitOfWork:
        return self.uow_factory()

    def chat_state_uow(self) -> UnitOfWork:
        return (self.chat_state_uow_factory or self.uow_factory)()

    def now(self) -> dt.datetime:
        return self.clock.now()

    def today(self) -> dt.date:
        """Today in the exchange's time zone: due dates are calendar days there."""
        return self.clock.now().astimezone(ZoneInfo(self.policy.time_zone)).date()
