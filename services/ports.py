"""Ports: what the service layer needs from the outside world, as small protocols.

Adapters live in services/adapters/ (sandbox and Stripe gateways, clocks, the paced gateway),
services/outbox.py (the notifier: an outbox the scheduler delivers), services/pacing.py (pacers)
and bot/ (the chat senders of each channel).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal, Protocol

ChargeStatus = Literal["succeeded", "processing", "declined", "requires_action"]
# Where a gateway sends the member back after authenticating a payment (3-D Secure):
# bot/http/payment_return_page.py.
PAYMENT_RETURN_PATH = "/payments/return"


@dataclass(frozen=True)
class ChargeRequest:
    amount_cents: int
    method_token: str
    idempotency_key: str
    customer_id: str | None = None
    off_session: bool = False  # autopay: the member is not there to authenticate
    description: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    # Where the member comes back after authenticating on-session; stored with the payment
    # like the description, so a retry sends exactly what the first try sent.
    return_url: str | None = None


@dataclass(frozen=True)
class ChargeResult:
    status: ChargeStatus
    gateway_ref: str
    decline_code: str | None = None
    action_url: str | None = None  # authentication_required: where the member finishes it
    # The issuer's advice on a decline: "do_not_try_again" forbids automatic retries.
    advice_code: str | None = None


@dataclass(frozen=True)
class SavedMethod:
    """What a gateway tells us about a method it saved: never the number itself."""

    token: str
    kind: Literal["card", "bank_account"]
    brand: str
    last4: str
    exp_month: int | None = None
    exp_year: int | None = None


class PaymentGateway(Protocol):
    name: str

    def ensure_customer(self, *, account_id: int, email: str, name: str,
                        existing_id: str | None) -> str:
        """Return the gateway customer id for an account, creating it on first need."""

    def charge(self, request: ChargeRequest) -> ChargeResult:
        """Charge once per idempotency key. Raises GatewayUnavailable when the outcome is
        unknown (timeout, connection error, 5xx, rate limit): the caller keeps the payment
        pending and reconciles it later with the same key."""

    def retrieve(self, *, idempotency_key: str, gateway_ref: str | None) -> ChargeResult | None:
        """The gateway's current view of a charge, or None when it never saw it."""


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, timezone-aware UTC."""


class Notifier(Protocol):
    def send_to_member(self, account_id: int, text: str,
                       buttons: list[dict[str, str]] | None = None, *,
                       dedupe_key: str | None = None) -> None:
        """Push a message to the member's linked chat (reminders, payment results). Callers
        reporting an event pass a `dedupe_key` derived from it, so a retried or concurrent
        report sends the message once."""


class ChatSender(Protocol):
    """Sends a message to one chat on one channel (Telegram, the console). Raises
    errors.DeliveryRetryLater for a failure worth retrying and errors.RecipientUnreachable
    for one that is permanent."""

    channels: frozenset[str]  # the channels this sender can push to

    def send(self, channel: str, chat_id: str, text: str,
             buttons: list[dict[str, str]] | None = None) -> None: ...


class Pacer(Protocol):
    """Spaces out calls to keep a rate (Telegram's messages a second, a gateway's limit)."""

    def acquire(self) -> None:
        """Wait until the next call may go."""

    def pause(self, seconds: float) -> None:
        """Hold every call for `seconds`: the other side said it is over its limit."""
