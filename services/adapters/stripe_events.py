"""Stripe webhooks: signature checks and a neutral reading of the events HealthPay acts on.

The webhook route hands over the raw body and the Stripe-Signature header; what comes back
says what changed in the words of the payment use cases (a payment's new status, a saved
method), so nothing past this module needs a Stripe object.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import stripe

from services.ports import ChargeStatus

# Every PaymentIntent HealthPay creates carries the payment's idempotency key under this
# metadata key, so an event or a search leads back to the payment.
IDEMPOTENCY_METADATA_KEY = "idempotency_key"

PAYMENT_EVENT_TYPES = frozenset(
    {"payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.processing",
     # Canceled proves nothing was or will be charged: the payment fails like a decline.
     "payment_intent.canceled"}
)
METHOD_SETUP_EVENT_TYPES = frozenset({"checkout.session.completed", "setup_intent.succeeded"})
# Money taken back after a payment succeeded, or given back. A bank debit returned as
# unauthorized after it succeeded comes as a dispute too, like a card chargeback.
REVERSAL_EVENT_TYPES = frozenset(
    {"charge.refunded", "charge.dispute.created", "charge.dispute.closed"})
# A dispute still at the inquiry stage: no money has moved.
_INQUIRY_STATUSES = frozenset({"warning_needs_response", "warning_under_review",
                               "warning_closed"})
DEFAULT_TOLERANCE_SECONDS = 300


class InvalidWebhook(Exception):
    """Not a genuine, fresh Stripe event: answer 400 and change nothing."""


@dataclass(frozen=True)
class StripeEvent:
    id: str
    type: str
    created: dt.datetime
    object: dict[str, Any]


@dataclass(frozen=True)
class PaymentUpdate:
    """A PaymentIntent moved: find the payment by gateway_ref, or by its idempotency key."""

    gateway_ref: str
    idempotency_key: str | None
    status: ChargeStatus
    decline_code: str | None = None
    advice_code: str | None = None


@dataclass(frozen=True)
class MethodSetupCompleted:
    """A member finished the hosted setup page. checkout.session.completed names only the
    SetupIntent (read the method from it); setup_intent.succeeded names the method too."""

    setup_intent_id: str
    customer_id: str | None
    account_id: int | None
    payment_method_id: str | None


ReversalKind = Literal["refund", "dispute_opened", "dispute_won", "dispute_lost"]


@dataclass(frozen=True)
class PaymentReversal:
    """A succeeded payment's money moved back: `refund` (amount_cents: all refunded so far),
    `dispute_opened` (the disputed amount was withdrawn), `dispute_won` (it came back) or
    `dispute_lost` (it stays with the member's bank)."""

    gateway_ref: str  # the PaymentIntent
    kind: ReversalKind
    amount_cents: int
    reason: str | None = None


@dataclass(frozen=True)
class MethodSetupFailed:
    """A method the member added could not be saved (a bank account that failed
    verification)."""

    setup_intent_id: str
    customer_id: str | None
    account_id: int | None
    code: str | None


# The webhook_events.event_id column's length (Stripe's own ids are about 30 characters).
MAX_EVENT_ID_LENGTH = 255


def verify_and_parse(payload: bytes, sig_header: str | None, secret: str, *,
                     tolerance: int = DEFAULT_TOLERANCE_SECONDS,
                     now: dt.datetime | None = None) -> StripeEvent:
    """Check the signature on the raw body and the signing time, then read the event."""
    try:
        # The SDK checks the HMAC; the age is checked below against `now`, which the SDK
        # cannot be given.
        stripe.WebhookSignature.verify_header(payload, sig_header, secret, tolerance=None)
    except (stripe.SignatureVerificationError, UnicodeDecodeError) as exc:
        raise InvalidWebhook("The Stripe-Signature header does not match the body.") from exc
    signed_at = _signed_at(sig_header or "")
    now = now or dt.datetime.now(dt.UTC)
    if abs(now.timestamp() - signed_at) > tolerance:
        raise InvalidWebhook(f"The event was signed more than {tolerance} seconds from now.")
    try:
        body = json.loads(payload)
        event_id, event_type = body["id"], body["type"]
        # Stripe's ids and types are short strings ("evt_...", "charge.refunded"); anything
        # else, even correctly signed, is not an event (a JSON object as the id would be kept
        # as its text and fail on the event-id column).
        if not (isinstance(event_id, str) and isinstance(event_type, str)
                and 0 < len(event_id) <= MAX_EVENT_ID_LENGTH):
            raise TypeError("event id and type must be strings")
        return StripeEvent(
            id=event_id,
            type=event_type,
            created=dt.datetime.fromtimestamp(int(body["created"]), dt.UTC),
            object=dict(body["data"]["object"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidWebhook("The event body is not a Stripe event.") from exc


def sign_payload(payload: bytes | str, secret: str, timestamp: int) -> str:
    """A Stripe-Signature header for a body, as Stripe would send it (tests and demos)."""
    text = payload.decode() if isinstance(payload, bytes) else payload
    return stripe.WebhookSignature.generate_signature_header(text, secret, timestamp)


def intent_outcome(intent: Mapping[str, Any]) -> tuple[ChargeStatus, str | None]:
    """A PaymentIntent's status and decline code in the gateway port's terms."""
    status = intent["status"]
    if status in ("succeeded", "processing", "requires_action"):
        return status, None
    if status in ("requires_payment_method", "canceled"):
        # A failed attempt (card decline, returned bank debit) leaves the intent waiting for
        # another method, with the reason in last_payment_error.
        error = intent.get("last_payment_error") or {}
        fallback = "canceled" if status == "canceled" else "generic_decline"
        return "declined", error.get("decline_code") or error.get("code") or fallback
    # requires_confirmation / requires_capture: not final; reconciliation looks again later.
    return "processing", None


def payment_update_from_event(event: StripeEvent) -> PaymentUpdate | None:
    """Raises InvalidWebhook for an object not shaped as Stripe sends it."""
    if event.type not in PAYMENT_EVENT_TYPES:
        return None
    with _shaped_as_stripe_sends():
        intent = event.object
        status, decline_code = intent_outcome(intent)
        return PaymentUpdate(
            gateway_ref=_text(intent["id"]),
            idempotency_key=_text((intent.get("metadata") or {}).get(IDEMPOTENCY_METADATA_KEY),
                                  optional=True),
            status=status,
            decline_code=_text(decline_code, optional=True),
            advice_code=_text((intent.get("last_payment_error") or {}).get("advice_code"),
                              optional=True),
        )


def reversal_from_event(event: StripeEvent) -> PaymentReversal | None:
    """Raises InvalidWebhook for an object not shaped as Stripe sends it."""
    if event.type not in REVERSAL_EVENT_TYPES:
        return None
    with _shaped_as_stripe_sends():
        obj = event.object
        gateway_ref = id_of(obj.get("payment_intent"))
        if not gateway_ref:
            return None  # a charge HealthPay did not make through a PaymentIntent
        if event.type == "charge.refunded":
            return PaymentReversal(_text(gateway_ref), "refund", _cents(obj["amount_refunded"]))
        status = obj["status"]
        if status in _INQUIRY_STATUSES:
            return None
        if event.type == "charge.dispute.created":
            kind: ReversalKind = "dispute_opened"
        elif status in ("won", "lost"):
            kind = "dispute_won" if status == "won" else "dispute_lost"
        else:
            return None
        return PaymentReversal(_text(gateway_ref), kind, _cents(obj["amount"]),
                               _text(obj.get("reason"), optional=True))


def setup_failure_from_event(event: StripeEvent) -> MethodSetupFailed | None:
    """Raises InvalidWebhook for an object not shaped as Stripe sends it."""
    if event.type != "setup_intent.setup_failed":
        return None
    with _shaped_as_stripe_sends():
        obj = event.object
        error = obj.get("last_setup_error") or {}
        return MethodSetupFailed(
            setup_intent_id=_text(obj["id"]),
            customer_id=_text(id_of(obj.get("customer")), optional=True),
            account_id=_account_id(obj),
            code=_text(error.get("decline_code") or error.get("code"), optional=True),
        )


def method_setup_from_event(event: StripeEvent) -> MethodSetupCompleted | None:
    """Raises InvalidWebhook for an object not shaped as Stripe sends it."""
    with _shaped_as_stripe_sends():
        obj = event.object
        if event.type == "checkout.session.completed" and obj.get("mode") == "setup":
            setup_intent_id, method_id = id_of(obj.get("setup_intent")), None
        elif event.type == "setup_intent.succeeded":
            setup_intent_id, method_id = obj["id"], id_of(obj.get("payment_method"))
        else:
            return None
        if not setup_intent_id:
            return None
        return MethodSetupCompleted(
            setup_intent_id=_text(setup_intent_id),
            customer_id=_text(id_of(obj.get("customer")), optional=True),
            account_id=_account_id(obj),
            payment_method_id=_text(method_id, optional=True),
        )


@contextlib.contextmanager
def _shaped_as_stripe_sends() -> Iterator[None]:
    """A signed event whose object Stripe would never send (another API version, a bug on
    either side) is refused like a bad signature, instead of failing halfway through."""
    try:
        yield
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise InvalidWebhook("The event's object is not shaped as Stripe sends it.") from exc


def _text(value: Any, *, optional: bool = False) -> Any:
    if (value is None and optional) or (isinstance(value, str) and value):
        return value
    raise TypeError(f"expected an id or a code, not {type(value).__name__}")


def _cents(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise TypeError(f"expected an amount in cents, not {value!r}")


def _account_id(obj: Mapping[str, Any]) -> int | None:
    """The account HealthPay named in the object's metadata when it created it."""
    account_id = str((obj.get("metadata") or {}).get("account_id", ""))
    return int(account_id) if account_id.isascii() and account_id.isdigit() else None


def _signed_at(sig_header: str) -> int:
    # The same element the SDK signed with: the first exact "t" (it accepted the header).
    parts = (item.split("=", 2) for item in sig_header.split(","))
    return next(int(part[1]) for part in parts if part[0] == "t")


def id_of(value: Any) -> str | None:
    """A Stripe reference, whether sent as an id or expanded into an object."""
    if isinstance(value, Mapping):
        return value.get("id")
    return value or None
