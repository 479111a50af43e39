"""The Stripe gateway: PaymentIntents confirmed with saved methods, behind the gateway port.

Charges carry the payment's own idempotency key. The SDK sends one key with every retry of a
request, and Stripe answers a repeated key with the first result for at least 24 hours, so a
retry — the SDK's, or reconciliation's after a timeout — never charges twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import stripe

from services.adapters.stripe_events import IDEMPOTENCY_METADATA_KEY, id_of, intent_outcome
from services.errors import GatewayRequestError, GatewayUnavailable
from services.gateway_alerts import alert
from services.ports import PAYMENT_RETURN_PATH, ChargeRequest, ChargeResult, SavedMethod

# The request may or may not have reached Stripe: the payment stays pending with its key.
_OUTCOME_UNKNOWN = (stripe.RateLimitError, stripe.APIConnectionError, stripe.APIError)
# The API version every request names. Pinned here, the one place, rather than left to the
# SDK's default: an SDK upgrade then cannot change what Stripe accepts from us without a
# change to this line (and the contract check in tests/stripe_contract.py knows which
# versions it can vouch for). 2026-09-30.endive removed `payment_method_types` on PaymentIntent
# and Checkout Session creation: `allowed_payment_method_types` (since 2026-07-29.dahlia).
STRIPE_API_VERSION = "2026-10-28.endive"
# Saved methods come from hosted setup pages allowing exactly these; charges allow the same.
METHOD_TYPES = ["card", "us_bank_account"]
_CARD_BRANDS = {
    "amex": "American Express",
    "diners": "Diners Club",
    "discover": "Discover",
    "jcb": "JCB",
    "mastercard": "Mastercard",
    "unionpay": "UnionPay",
    "visa": "Visa",
}


# Answers that say nothing about a payment and that waiting will not fix, by alert reason.
_NEEDS_OPERATOR = ((stripe.AuthenticationError, "authentication"),
                   (stripe.PermissionError, "permission"),
                   (stripe.IdempotencyError, "idempotency"))


class GatewayRejected(GatewayRequestError):
    """Stripe refused the parameters of a request that creates something (HTTP 400): it
    created nothing, and sending it again will not help, so payments mark the payment
    failed, as for the sandbox's GatewayRequestError."""


class StripeGateway:
    name = "stripe"

    def __init__(self, api_key: str, *, public_base_url: str, api_base: str | None = None,
                 max_network_retries: int = 2, timeout: float = 20,
                 http_client: stripe.HTTPClient | None = None):
        """`api_base` points the SDK at another server (the test stub); `http_client` replaces
        the SDK's requests-based client (tests use one that backs off in milliseconds)."""
        self._public_base_url = public_base_url.rstrip("/")
        self._client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base} if api_base else None,
            max_network_retries=max_network_retries,
            stripe_version=STRIPE_API_VERSION,
            http_client=http_client or stripe.RequestsClient(timeout=timeout),
        )

    def ensure_customer(self, *, account_id: int, email: str, name: str,
                        existing_id: str | None) -> str:
        if existing_id:
            return existing_id
        customer = self._call(
            self._client.v1.customers.create,
            {"email": email, "name": name, "metadata": {"account_id": str(account_id)}},
            {"idempotency_key": f"hp-customer-{account_id}"},
            creates=True,
        )
        return customer.id

    def charge(self, request: ChargeRequest) -> ChargeResult:
        try:
            intent = self._call(
                self._client.v1.payment_intents.create,
                self._intent_params(request),
                {"idempotency_key": request.idempotency_key},
                creates=True,
            )
        except stripe.CardError as exc:
            return self._declined(exc)
        return self._result(intent.to_dict())

    def retrieve(self, *, idempotency_key: str, gateway_ref: str | None) -> ChargeResult | None:
        """By gateway_ref when known; otherwise by the key in the metadata, through Stripe's
        search, which lags behind writes (usually under a minute). A None here is therefore
        no proof: charging again with the same request and key is the safe follow-up, since
        Stripe replays the first result instead of creating a second PaymentIntent. (It
        replays a 500 it saved too, for 24 hours: then only this search settles it.)"""
        if gateway_ref:
            intent = self._call(self._client.v1.payment_intents.retrieve, gateway_ref,
                                missing_ok=True)
            return self._result(intent.to_dict()) if intent else None
        quoted = idempotency_key.replace("\\", "\\\\").replace("'", "\\'")
        found = self._call(
            self._client.v1.payment_intents.search,
            {"query": f"metadata['{IDEMPOTENCY_METADATA_KEY}']:'{quoted}'", "limit": 1},
            reading="search",
        )
        return self._result(found.data[0].to_dict()) if found.data else None

    def create_setup_checkout(self, *, customer_id: str, account_id: int, success_url: str,
                              cancel_url: str) -> str:
        """The hosted page where a member saves a card or bank account; its URL goes in chat.
        Stripe fills a {CHECKOUT_SESSION_ID} placeholder in success_url. The SDK gives this
        POST a key of its own, so its retries make no second session."""
        metadata = {"account_id": str(account_id)}
        session = self._call(
            self._client.v1.checkout.sessions.create,
            {
                "mode": "setup",
                "currency": "usd",
                "customer": customer_id,
                # Not a bare removal: without the list, Checkout could save a type HealthPay
                # cannot charge.
                "allowed_payment_method_types": METHOD_TYPES,
                "success_url": success_url,
                "cancel_url": cancel_url,
                "metadata": metadata,
                # So setup_intent.succeeded names the account too.
                "setup_intent_data": {"metadata": metadata},
            },
            creates=True,
        )
        return session.url

    def saved_method_from_setup_intent(self, setup_intent_id: str) -> SavedMethod | None:
        """The method a SetupIntent saved, or None while it is not done (a bank account
        still being verified by micro-deposits ends with setup_intent.succeeded later)."""
        setup_intent = self._call(
            self._client.v1.setup_intents.retrieve,
            setup_intent_id,
            {"expand": ["payment_method"]},
        )
        return _saved_method(setup_intent.to_dict())

    def saved_method_from_checkout_session(self, session_id: str) -> SavedMethod | None:
        session = self._call(
            self._client.v1.checkout.sessions.retrieve,
            session_id,
            {"expand": ["setup_intent.payment_method"]},
        ).to_dict()
        setup_intent = session.get("setup_intent")
        return _saved_method(setup_intent) if isinstance(setup_intent, dict) else None

    @property
    def return_url(self) -> str:
        """Where Stripe sends a member back after 3-D Secure."""
        return f"{self._public_base_url}{PAYMENT_RETURN_PATH}"

    def authentication_url(self, gateway_ref: str) -> str:
        """HealthPay's own page that finishes a payment needing 3-D Secure."""
        return f"{self._public_base_url}/payments/authenticate/{gateway_ref}"

    def resume_authentication(self, gateway_ref: str, *, return_url: str | None) -> str | None:
        """Bring the member back on-session to finish the same PaymentIntent: the address of
        the card issuer's 3-D Secure page to send the browser to. An intent with no such
        address yet (an off-session charge that needed authentication, or one left to
        Stripe.js) is confirmed again with its method and a return_url, which gives it one.
        None when there is nothing left to authenticate, or the card was declined outright:
        the return page then reads the outcome."""
        intent = self._call(self._client.v1.payment_intents.retrieve, gateway_ref).to_dict()
        if url := _redirect_url(intent):
            return url
        if intent["status"] not in ("requires_action", "requires_payment_method"):
            return None
        error = intent.get("last_payment_error") or {}
        method = id_of(error.get("payment_method")) or id_of(intent.get("payment_method"))
        params: dict[str, Any] = {"return_url": return_url or self.return_url}
        if method:
            params["payment_method"] = method
        try:
            intent = self._call(self._client.v1.payment_intents.confirm, gateway_ref,
                                params, creates=True, reading="confirm").to_dict()
        except (stripe.CardError, GatewayRejected):
            return None  # declined outright, or the intent moved on meanwhile
        return _redirect_url(intent)

    def _intent_params(self, request: ChargeRequest) -> dict[str, Any]:
        params: dict[str, Any] = {
            "amount": request.amount_cents,
            "currency": "usd",
            "payment_method": request.method_token,
            # Listed rather than left to automatic payment methods: the method is already
            # saved, and the list keeps out redirect-based types that cannot be confirmed
            # server-side.
            "allowed_payment_method_types": METHOD_TYPES,
            "confirm": True,
            "metadata": {**request.metadata, IDEMPOTENCY_METADATA_KEY: request.idempotency_key},
        }
        if request.customer_id:
            params["customer"] = request.customer_id
        if request.description:
            params["description"] = request.description
        if request.off_session:
            params["off_session"] = True
        else:
            # With a return_url, 3-D Secure comes back as a redirect link we can send in chat.
            params["return_url"] = request.return_url or self.return_url
        return params

    def _result(self, intent: dict[str, Any]) -> ChargeResult:
        status, decline_code = intent_outcome(intent)
        action_url = self._action_url(intent) if status == "requires_action" else None
        advice = (intent.get("last_payment_error") or {}).get("advice_code")
        return ChargeResult(status, intent["id"], decline_code, action_url,
                            advice if status == "declined" else None)

    def _action_url(self, intent: dict[str, Any]) -> str:
        return _redirect_url(intent) or self.authentication_url(intent["id"])

    def _declined(self, exc: stripe.CardError) -> ChargeResult:
        """A card decline: Stripe still created the PaymentIntent and returns it in the error.
        The specific reason is in decline_code; Stripe leaves it empty for some codes
        (incorrect_number and the like), whose reason is then the code itself."""
        error = exc.error.to_dict() if exc.error else {}
        intent = error.get("payment_intent") or {}
        code = error.get("decline_code") or error.get("code") or exc.code or "generic_decline"
        gateway_ref = intent.get("id", "")
        # Off-session authentication failed: the member can still finish this same payment.
        action_url = (self.authentication_url(gateway_ref)
                      if code == "authentication_required" and gateway_ref else None)
        return ChargeResult("declined", gateway_ref, code, action_url, error.get("advice_code"))

    @staticmethod
    def _call(method: Callable[..., Any], *args: Any, missing_ok: bool = False,
              creates: bool = False, reading: str = "read") -> Any:
        """Call the SDK, turning its errors into the port's; card errors pass through.
        Only a refusal of a creating request's parameters proves that nothing happened
        (GatewayRejected); every other answer leaves the outcome unknown (GatewayUnavailable),
        and those no retry will fix also alert operators (GatewayNeedsOperator)."""
        try:
            return method(*args)
        except stripe.CardError:
            raise
        except _OUTCOME_UNKNOWN as exc:
            raise GatewayUnavailable(f"Stripe did not answer: {exc!r}") from exc
        except stripe.StripeError as exc:
            if missing_ok and exc.code == "resource_missing":
                return None
            reason = next((name for cls, name in _NEEDS_OPERATOR if isinstance(exc, cls)), None)
            if reason is None and creates and isinstance(exc, stripe.InvalidRequestError):
                raise GatewayRejected(exc.user_message or repr(exc)) from exc
            raise alert("stripe", reason or f"{reading}_failed",
                        f"HTTP {exc.http_status}: {exc.user_message or repr(exc)}") from exc


def _redirect_url(intent: dict[str, Any]) -> str | None:
    """Where Stripe asks to send the member to authenticate, while the intent waits for it."""
    if intent.get("status") != "requires_action":
        return None
    redirect = (intent.get("next_action") or {}).get("redirect_to_url") or {}
    return redirect.get("url") or None


def _saved_method(setup_intent: dict[str, Any]) -> SavedMethod | None:
    method = setup_intent.get("payment_method")
    if setup_intent.get("status") != "succeeded" or not isinstance(method, dict):
        return None
    if method["type"] == "card":
        card = method["card"]
        return SavedMethod(
            token=method["id"],
            kind="card",
            brand=_CARD_BRANDS.get(card["brand"], str(card["brand"]).title()),
            last4=card["last4"],
            exp_month=card["exp_month"],
            exp_year=card["exp_year"],
        )
    if method["type"] == "us_bank_account":
        bank = method["us_bank_account"]
        return SavedMethod(
            token=method["id"],
            kind="bank_account",
            brand=str(bank.get("account_type") or "bank account").title(),
            last4=bank["last4"],
        )
    raise GatewayRejected(f"Stripe saved a {method['type']} method, which HealthPay cannot use.")
