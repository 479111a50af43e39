"""A local stand-in for the parts of Stripe's API that HealthPay uses, for tests.

The real `stripe` SDK talks to it through its API base address, so requests, retries,
idempotency headers and error classes are the SDK's own. Every request is first checked
against Stripe's contract at the API version it names (tests/stripe_contract.py: the installed
SDK's parameter types) and refused as Stripe refuses it; every answer has the fields Stripe's
objects have at that version. It keeps Stripe's behaviour where
HealthPay depends on it: test payment-method tokens, 402 card errors with the PaymentIntent
inside, idempotent replays (and an error for a key reused with other parameters), search by
metadata, and bank debits that stay `processing` until settled. Faults can be injected: rate
limits, 5xx, dropped connections, and answers slower than the client waits.

    with StripeStub() as stub:
        gateway = stub_gateway(stub)
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe

from services.adapters.stripe_gateway import StripeGateway
from tests.stripe_contract import ContractViolation, check_answer, check_request, shaped

# Stripe's test tokens for declines -> the decline reason.
_TEST_DECLINES = {
    "pm_card_visa_chargeDeclined": "generic_decline",
    "pm_card_visa_chargeDeclinedInsufficientFunds": "insufficient_funds",
    "pm_card_visa_chargeDeclinedLostCard": "lost_card",
    "pm_card_visa_chargeDeclinedStolenCard": "stolen_card",
    "pm_card_chargeDeclinedExpiredCard": "expired_card",
    "pm_card_chargeDeclinedIncorrectCvc": "incorrect_cvc",
    "pm_card_chargeDeclinedProcessingError": "processing_error",
    "pm_card_chargeCustomerFail": "generic_decline",
}
# For reasons Stripe has no test token for: pm_stub_decline_<reason>.
STUB_DECLINE_PREFIX = "pm_stub_decline_"
# Stripe reports these reasons as the error code itself; other declines are card_declined.
_OWN_ERROR_CODES = {"expired_card", "incorrect_cvc", "incorrect_number", "incorrect_zip",
                    "processing_error", "authentication_required"}
AUTHENTICATION_REQUIRED = "pm_card_authenticationRequired"
# Stripe's ACH test tokens: processing first, then this outcome when settled.
_BANK_OUTCOMES = {
    "pm_usBankAccount_success": None,
    "pm_usBankAccount_insufficientFunds": "insufficient_funds",
    "pm_usBankAccount_accountClosed": "account_closed",
    "pm_usBankAccount_noAccount": "no_account",
    "pm_usBankAccount_debitNotAuthorized": "debit_not_authorized",
}
# Stripe's advice on retrying a declined card (the error's advice_code), by decline reason.
_ADVICE_CODES = {
    **dict.fromkeys(("lost_card", "stolen_card", "fraudulent", "pickup_card",
                     "restricted_card", "transaction_not_allowed"), "do_not_try_again"),
    **dict.fromkeys(("expired_card", "incorrect_cvc", "incorrect_number", "incorrect_zip"),
                    "confirm_card_data"),
    **dict.fromkeys(("insufficient_funds", "processing_error", "try_again_later",
                     "issuer_not_available"), "try_again_later"),
}
# Answers that refuse a request before it does anything, by HTTP status.
_REFUSALS = {
    "400": {"error": {"type": "invalid_request_error",
                      "message": "Search is temporarily unavailable for this query."}},
    "401": {"error": {"type": "invalid_request_error",
                      "message": "Invalid API Key provided: sk_test_****stub"}},
    "403": {"error": {"type": "invalid_request_error", "code": "secret_key_required",
                      "message": "The provided key does not have the required permissions "
                                 "for this endpoint."}},
}
_FAULTS = {"429", "500", "500_after", "drop", "drop_after", "slow", *_REFUSALS}
THREE_D_SECURE_PATH = "/3d_secure_2/hosted"
_SEARCH_BY_METADATA = re.compile(r"metadata\['([^']+)'\]:'((?:[^'\\]|\\.)*)'")


def decline_token(reason: str) -> str:
    """A payment-method token whose charges are declined for `reason`."""
    known = {reason_: token for token, reason_ in _TEST_DECLINES.items()}
    return known.get(reason) or STUB_DECLINE_PREFIX + reason


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    params: dict[str, Any]

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("idempotency-key")


class QuickRetryClient(stripe.RequestsClient):
    """The SDK's default HTTP client, backing off for milliseconds between retries instead of
    its built-in 0.5-5 s (HTTPClient._sleep_time_seconds has no public setting)."""

    def _sleep_time_seconds(self, num_retries: int) -> float:
        return 0.005


def stub_gateway(stub: StripeStub, *, max_network_retries: int = 2, timeout: float = 5,
                 public_base_url: str = "https://healthpay.test") -> StripeGateway:
    return StripeGateway(
        "sk_test_stub",
        api_base=stub.url,
        public_base_url=public_base_url,
        max_network_retries=max_network_retries,
        http_client=QuickRetryClient(timeout=timeout),
    )


class StripeStub:
    def __init__(self):
        self.requests: list[RecordedRequest] = []
        # Requests refused for breaking Stripe's contract, with Stripe's error body.
        self.refused: list[tuple[RecordedRequest, dict]] = []
        # Answers the stub itself got wrong (not shaped as Stripe's objects): a test bug.
        self.misshapen: list[str] = []
        self.intents: dict[str, dict[str, Any]] = {}
        self.customers: dict[str, dict[str, Any]] = {}
        self.sessions: dict[str, dict[str, Any]] = {}
        self.setup_intents: dict[str, dict[str, Any]] = {}
        self.charges: dict[str, dict[str, Any]] = {}
        self.disputes: dict[str, dict[str, Any]] = {}
        # Stripe's search lags behind writes; set this to see what a caller does meanwhile.
        # An issuer's advice for one token, over the usual advice for its decline reason.
        self.advice_codes: dict[str, str] = {}
        self.search_lags = False
        self._idempotent: dict[str, tuple[str, list[tuple[str, str]], int, dict]] = {}
        self._faults: deque[tuple[str, float, bool]] = deque()
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.stub = self
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.01,),
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> StripeStub:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        assert not self.misshapen, self.misshapen

    # --- what tests set up and inspect -------------------------------------------------

    def fail_next(self, kind: str, times: int = 1, *, delay: float = 0.0,
                  should_retry: bool = False) -> None:
        """The next `times` requests meet a fault:
        "429" rate limit, "500" server error (neither reaches the endpoint), "drop" closes
        the connection unanswered, "drop_after" handles the request and then drops the answer,
        "slow" handles it and answers after `delay` seconds, "500_after" handles it and
        answers 500 with Stripe-Should-Retry: false — and, as Stripe does, saves that 500 as
        the key's result. "401" (a revoked or rotated key), "403" (a restricted key without
        the permission) and "400" (a refused request, such as a search Stripe cannot run)
        answer at once. `should_retry` adds Stripe-Should-Retry: true to a 429 or 500."""
        assert kind in _FAULTS, kind
        with self._lock:
            self._faults.extend([(kind, delay, should_retry)] * times)

    @property
    def intents_created(self) -> int:
        return len(self.intents)

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method and r.path == path]

    def settle(self, intent_id: str) -> dict[str, Any]:
        """The bank answers a processing debit, as its token says; returns the event."""
        with self._lock:
            intent = self.intents[intent_id]
            assert intent["status"] == "processing", intent["status"]
            reason = _BANK_OUTCOMES[intent["payment_method"]]
            if reason is None:
                intent["status"] = "succeeded"
                return self.event("payment_intent.succeeded", intent)
            intent["status"] = "requires_payment_method"
            intent["last_payment_error"] = _payment_error(
                "invalid_request_error", reason, f"The bank returned the debit: {reason}.",
                intent["payment_method"])
            return self.event("payment_intent.payment_failed", intent)

    def authenticate(self, intent_id: str, *, approve: bool = True) -> None:
        """The member answers 3-D Secure on Stripe's page for an intent that requires it."""
        with self._lock:
            intent = self.intents[intent_id]
            assert intent["status"] == "requires_action", intent["status"]
            intent["next_action"] = None
            if approve:
                intent["status"] = "succeeded"
            else:
                intent["status"] = "requires_payment_method"
                intent["last_payment_error"] = _payment_error(
                    "invalid_request_error", "payment_intent_authentication_failure",
                    "The member did not approve the payment.", intent["payment_method"])

    def complete_checkout(self, session_id: str, token: str = "pm_card_visa") -> dict[str, Any]:
        """The member saves `token` on the hosted page; returns checkout.session.completed."""
        with self._lock:
            session = self.sessions[session_id]
            setup_intent = self.setup_intents[session["setup_intent"]]
            setup_intent.update(status="succeeded", payment_method=token)
            session.update(status="complete")
            return self.event("checkout.session.completed", session)

    def refund(self, intent_id: str, cents: int | None = None) -> dict[str, Any]:
        """The exchange refunds `cents` (default: all that is left) of a succeeded payment;
        returns charge.refunded, whose amount_refunded is the total refunded so far."""
        with self._lock:
            charge = self._charge_of(intent_id)
            left = charge["amount"] - charge["amount_refunded"]
            charge["amount_refunded"] += left if cents is None else min(cents, left)
            charge["refunded"] = charge["amount_refunded"] == charge["amount"]
            return self.event("charge.refunded", charge)

    def dispute(self, intent_id: str, *, reason: str = "fraudulent",
                status: str = "needs_response") -> dict[str, Any]:
        """The member's bank disputes a succeeded payment (a card chargeback, or an ACH debit
        returned as unauthorized) and takes the money back; returns charge.dispute.created."""
        with self._lock:
            charge = self._charge_of(intent_id)
            charge["disputed"] = True
            dispute = shaped("dispute", {
                "id": self._new_id("dp"), "amount": charge["amount"], "charge": charge["id"],
                "payment_intent": intent_id, "currency": charge["currency"], "reason": reason,
                "status": status, "created": int(time.time()),
                "is_charge_refundable": False})
            self.disputes[dispute["id"]] = dispute
            return self.event("charge.dispute.created", dispute)

    def close_dispute(self, dispute_id: str, *, won: bool) -> dict[str, Any]:
        with self._lock:
            dispute = self.disputes[dispute_id]
            dispute["status"] = "won" if won else "lost"
            return self.event("charge.dispute.closed", dispute)

    def fail_setup(self, session_id: str, code: str = "payment_method_microdeposit_failed"
                   ) -> dict[str, Any]:
        """The method being added on the hosted page fails verification; returns
        setup_intent.setup_failed."""
        with self._lock:
            setup_intent = self.setup_intents[self.sessions[session_id]["setup_intent"]]
            setup_intent.update(status="requires_payment_method", last_setup_error=shaped(
                stripe.SetupIntent.LastSetupError, {
                    "type": "invalid_request_error", "code": code,
                    "message": "The bank account could not be verified."}))
            return self.event("setup_intent.setup_failed", setup_intent)

    def event(self, event_type: str, obj: dict[str, Any]) -> dict[str, Any]:
        """A snapshot event as Stripe would post it to a webhook endpoint."""
        try:
            check_answer(obj)
        except AssertionError as exc:
            self.misshapen.append(f"event {event_type}: {exc}")
        return {
            "id": self._new_id("evt"),
            "object": "event",
            "api_version": stripe.api_version,
            "type": event_type,
            "created": int(time.time()),
            "livemode": False,
            "data": {"object": json.loads(json.dumps(obj))},
        }

    # --- the API -------------------------------------------------------------------------

    def _handle(self, handler: _Handler, method: str) -> None:
        url = urlsplit(handler.path)
        if url.path.startswith("/3d_secure_2/"):
            return self._three_d_secure(handler, url.path, url.query)
        if not url.path.startswith("/v1/"):
            return _respond_html(handler, 404, "")  # a browser's /favicon.ico: not the API
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else url.query
        pairs = parse_qsl(body, keep_blank_values=True)
        headers = {name.lower(): value for name, value in handler.headers.items()}
        recorded = RecordedRequest(method, url.path, headers, _nested(pairs))
        with self._lock:
            self.requests.append(recorded)
            kind, delay, should_retry = self._faults.popleft() if self._faults else ("", 0, False)
        retry_header = {"Stripe-Should-Retry": "true"} if should_retry else {}
        if kind == "429":
            return _respond(handler, 429, _error("rate_limit_error", "rate_limit",
                                                 "Too many requests hit the API too quickly."),
                            retry_header)
        if kind == "500":
            return _respond(handler, 500, _error("api_error", None, "Something went wrong."),
                            retry_header)
        if kind == "drop":
            return _drop(handler)
        if kind in _REFUSALS:
            return _respond(handler, int(kind), _REFUSALS[kind], {})
        with self._lock:
            try:
                # Before idempotency: Stripe saves no result for a request that fails
                # validation, so the same key can be sent again with valid parameters.
                check_request(method, url.path, headers, recorded.params)
            except ContractViolation as refusal:
                self.refused.append((recorded, refusal.body))
                return _respond(handler, refusal.status, refusal.body, {})
            status, payload, extra = self._answer(method, url.path, pairs, headers)
            try:
                check_answer(payload)
            except AssertionError as exc:
                self.misshapen.append(f"{method} {url.path}: {exc}")
            if kind == "500_after":
                status, payload = 500, _error("api_error", None, "Something went wrong.")
                extra = {"Stripe-Should-Retry": "false"}
                if key := headers.get("idempotency-key"):
                    self._idempotent[key] = (url.path, sorted(pairs), status, payload)
        if kind == "drop_after":
            return _drop(handler)
        if kind == "slow":
            time.sleep(delay)
        try:
            _respond(handler, status, payload, extra)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped waiting, as it does after its timeout

    def _answer(self, method: str, path: str, pairs: list[tuple[str, str]],
                headers: dict[str, str]) -> tuple[int, dict, dict[str, str]]:
        key = headers.get("idempotency-key") if method == "POST" else None
        request = sorted(pairs)
        if key and key in self._idempotent:
            first_path, first_request, status, payload = self._idempotent[key]
            if (first_path, first_request) != (path, request):
                return 400, _error(
                    "idempotency_error", None,
                    "Keys for idempotent requests can only be used with the same parameters "
                    "they were first used with."), {}
            return status, payload, {"Idempotent-Replayed": "true"}
        status, payload = self._route(method, path, _nested(pairs))
        if key:
            self._idempotent[key] = (path, request, status, payload)
        return status, payload, {}

    def _route(self, method: str, path: str, params: dict[str, Any]) -> tuple[int, dict]:
        parts = path.strip("/").split("/")
        expand = params.get("expand", [])
        if method == "POST" and path == "/v1/customers":
            return 200, self._create_customer(params)
        if method == "POST" and path == "/v1/payment_intents":
            return self._create_intent(params)
        if method == "GET" and path == "/v1/payment_intents/search":
            return 200, self._search_intents(params["query"])
        if method == "POST" and len(parts) == 4 and parts[1] == "payment_intents" \
                and parts[3] == "confirm":
            return self._confirm_intent(parts[2], params)
        if method == "POST" and path == "/v1/checkout/sessions":
            return 200, self._create_session(params)
        stores = {"payment_intents": self.intents, "setup_intents": self.setup_intents,
                  "sessions": self.sessions}
        if method == "GET" and len(parts) >= 3 and parts[-2] in stores:
            found = stores[parts[-2]].get(parts[-1])
            if found is not None:
                return 200, self._expanded(found, expand)
            return 404, _error("invalid_request_error", "resource_missing",
                               f"No such object: '{parts[-1]}'")
        return 404, _error("invalid_request_error", None, f"Unrecognized request URL ({path}).")

    def _create_customer(self, params: dict[str, Any]) -> dict[str, Any]:
        customer = shaped("customer", {
            "id": self._new_id("cus"), "email": params.get("email"), "name": params.get("name"),
            "metadata": params.get("metadata", {}), "created": int(time.time())})
        self.customers[customer["id"]] = customer
        return customer

    def _create_intent(self, params: dict[str, Any]) -> tuple[int, dict]:
        token = params.get("payment_method", "")
        if int(params["amount"]) < 50:
            return 400, _error("invalid_request_error", "amount_too_small",
                               "Amount must be at least $0.50 usd", param="amount")
        intent_id = self._new_id("pi")
        allowed = params.get("allowed_payment_method_types")
        intent = shaped("payment_intent", {
            "id": intent_id,
            "amount": int(params["amount"]),
            "currency": params["currency"],
            "customer": params.get("customer"),
            "description": params.get("description"),
            "statement_descriptor_suffix": params.get("statement_descriptor_suffix"),
            "payment_method": token,
            "allowed_payment_method_types": allowed,
            # What Stripe offers out of the allowed list (without one, its default: card).
            "payment_method_types": allowed or ["card"],
            "metadata": params.get("metadata", {}),
            "status": "requires_confirmation",
            "client_secret": f"{intent_id}_secret_stub",
            "created": int(time.time()),
        })
        self.intents[intent["id"]] = intent
        if params.get("confirm") != "true":
            return 200, intent
        return self._confirm(intent, token, params)

    def _confirm_intent(self, intent_id: str, params: dict[str, Any]) -> tuple[int, dict]:
        """Confirm again: the member, back on-session, finishes a payment (3-D Secure)."""
        intent = self.intents.get(intent_id)
        if intent is None:
            return 404, _error("invalid_request_error", "resource_missing",
                               f"No such payment_intent: '{intent_id}'", param="intent")
        if intent["status"] not in ("requires_payment_method", "requires_confirmation",
                                    "requires_action"):
            return 400, _error("invalid_request_error", "payment_intent_unexpected_state",
                               f"This PaymentIntent's status is {intent['status']}.")
        token = params.get("payment_method") or intent["payment_method"]
        intent.update(payment_method=token, last_payment_error=None, next_action=None)
        return self._confirm(intent, token, params)

    def _confirm(self, intent: dict[str, Any], token: str,
                 params: dict[str, Any]) -> tuple[int, dict]:
        reason = _decline_reason(token)
        if token == AUTHENTICATION_REQUIRED:
            if params.get("off_session") == "true":
                reason = "authentication_required"
            else:
                intent.update(status="requires_action",
                              next_action=self._next_action(intent, params))
                return 200, intent
        if reason:
            code = reason if reason in _OWN_ERROR_CODES else "card_declined"
            last_error = _payment_error("card_error", code, "Your card was declined.", token,
                                        decline_code=reason,
                                        advice_code=self._advice_code(token, reason))
            intent.update(status="requires_payment_method", last_payment_error=last_error)
            error = {key: value for key, value in last_error.items() if value is not None}
            error["payment_intent"] = json.loads(json.dumps(intent))
            return 402, {"error": error}
        intent["status"] = "processing" if token in _BANK_OUTCOMES else "succeeded"
        return 200, intent

    def _search_intents(self, query: str) -> dict[str, Any]:
        match = _SEARCH_BY_METADATA.fullmatch(query.strip())
        assert match, f"the stub only searches by one metadata value, not {query!r}"
        name, value = match.group(1), re.sub(r"\\(.)", r"\1", match.group(2))
        found = [] if self.search_lags else [
            intent for intent in self.intents.values() if intent["metadata"].get(name) == value
        ]
        return {"object": "search_result", "url": "/v1/payment_intents/search", "data": found,
                "has_more": False, "next_page": None}

    def _create_session(self, params: dict[str, Any]) -> dict[str, Any]:
        allowed = params.get("allowed_payment_method_types")
        setup_intent = shaped("setup_intent", {
            "id": self._new_id("seti"),
            "customer": params.get("customer"),
            "allowed_payment_method_types": allowed,
            "payment_method_types": allowed or ["card"],
            "status": "requires_payment_method",
            "metadata": params.get("setup_intent_data", {}).get("metadata", {}),
            "usage": "off_session",
            "created": int(time.time()),
        })
        self.setup_intents[setup_intent["id"]] = setup_intent
        session_id = self._new_id("cs_test")
        session = shaped("checkout.session", {
            "id": session_id,
            "mode": params["mode"],
            "currency": params.get("currency"),
            "customer": params.get("customer"),
            "allowed_payment_method_types": allowed,
            "payment_method_types": allowed or ["card"],
            "setup_intent": setup_intent["id"],
            "success_url": params["success_url"],
            "cancel_url": params.get("cancel_url"),
            "metadata": params.get("metadata", {}),
            "status": "open",
            "url": f"https://checkout.stripe.com/c/pay/{session_id}",
            "created": int(time.time()),
        })
        self.sessions[session_id] = session
        return session

    def _charge_of(self, intent_id: str) -> dict[str, Any]:
        """The charge a succeeded PaymentIntent made (its latest_charge)."""
        intent = self.intents[intent_id]
        assert intent["status"] == "succeeded", intent["status"]
        if intent["latest_charge"] is None:
            charge = shaped("charge", {
                "id": self._new_id("ch"), "amount": intent["amount"],
                "amount_captured": intent["amount"], "captured": True, "paid": True,
                "currency": intent["currency"], "customer": intent["customer"],
                "payment_intent": intent_id, "payment_method": intent["payment_method"],
                "status": "succeeded", "created": int(time.time())})
            self.charges[charge["id"]] = charge
            intent["latest_charge"] = charge["id"]
        return self.charges[intent["latest_charge"]]

    def _next_action(self, intent: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        """Stripe redirects for 3-D Secure when given a return_url, else leaves it to
        Stripe.js. The redirect leads to the stub's own stand-in for the issuer's page."""
        if params.get("return_url"):
            return shaped(stripe.PaymentIntent.NextAction, {
                "type": "redirect_to_url", "redirect_to_url": {
                    "url": f"{self.url}{THREE_D_SECURE_PATH}?payment_intent={intent['id']}",
                    "return_url": params["return_url"]}})
        return use_stripe_sdk_action()

    def _three_d_secure(self, handler: _Handler, path: str, query: str) -> None:
        """The issuer's 3-D Secure page, as Stripe's test mode shows it: complete or fail
        the authentication, then back to the intent's return_url."""
        asked = dict(parse_qsl(query))
        intent_id = asked.get("payment_intent", "")
        with self._lock:
            intent = self.intents.get(intent_id)
            if intent is None or intent["status"] != "requires_action":
                return _respond_html(handler, 404, "<p>Nothing to authenticate.</p>")
            if path == THREE_D_SECURE_PATH:
                return _respond_html(handler, 200, f"""<h1>3D Secure 2 Test Page</h1>
<p>Payment of {intent['amount']} {intent['currency']}</p>
<form action="/3d_secure_2/complete">
<input type="hidden" name="payment_intent" value="{intent_id}">
<button name="result" value="approve">Complete</button>
<button name="result" value="fail">Fail</button>
</form>""")
            return_url = intent["next_action"]["redirect_to_url"]["return_url"]
            self.authenticate(intent_id, approve=asked.get("result") == "approve")
        handler.send_response(302)
        joiner = "&" if "?" in return_url else "?"
        handler.send_header("Location", f"{return_url}{joiner}payment_intent={intent_id}")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def _advice_code(self, token: str, reason: str) -> str | None:
        return self.advice_codes.get(token) or _ADVICE_CODES.get(reason)

    def _expanded(self, obj: dict[str, Any], paths: list[str]) -> dict[str, Any]:
        """Replace ids named by Stripe's `expand[]` paths with the objects themselves."""
        obj = json.loads(json.dumps(obj))
        for path in paths:
            holder = obj
            for name in path.split("."):
                if isinstance(holder.get(name), str):
                    holder[name] = self._object_for(holder[name])
                holder = holder.get(name)
                if not isinstance(holder, dict):
                    break
        return obj

    def _object_for(self, object_id: str) -> dict[str, Any]:
        if object_id.startswith("seti_"):
            return json.loads(json.dumps(self.setup_intents[object_id]))
        if object_id.startswith("pi_"):
            return json.loads(json.dumps(self.intents[object_id]))
        return _payment_method(object_id)

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_stub{next(self._ids):06d}"


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    def do_GET(self):
        self.server.stub._handle(self, "GET")

    def do_POST(self):
        self.server.stub._handle(self, "POST")

    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


def _respond(handler: _Handler, status: int, payload: dict, headers: dict[str, str]) -> None:
    body = json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.send_header("Request-Id", f"req_stub{time.monotonic_ns()}")
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


def _respond_html(handler: _Handler, status: int, body: str) -> None:
    page = f"<!doctype html><html><body>{body}</body></html>".encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "text/html; charset=utf-8")
    handler.send_header("Content-Length", str(len(page)))
    handler.end_headers()
    handler.wfile.write(page)


def _drop(handler: _Handler) -> None:
    """Close the connection with no answer at all, as a network failure would."""
    handler.close_connection = True


def _error(error_type: str, code: str | None, message: str, **fields: Any) -> dict:
    error = {"type": error_type, "message": message, **fields}
    if code:
        error["code"] = code
    return {"error": error}


def _decline_reason(token: str) -> str | None:
    if token.startswith(STUB_DECLINE_PREFIX):
        return token.removeprefix(STUB_DECLINE_PREFIX)
    return _TEST_DECLINES.get(token)




def use_stripe_sdk_action() -> dict[str, Any]:
    """3-D Secure left to Stripe.js: no URL a member could be sent to."""
    return shaped(stripe.PaymentIntent.NextAction, {"type": "use_stripe_sdk",
                                                    "use_stripe_sdk": {}})


def _payment_method(token: str) -> dict[str, Any]:
    if token.startswith("pm_usBankAccount"):
        return shaped("payment_method", {
            "id": token, "type": "us_bank_account",
            "us_bank_account": {"account_holder_type": "individual", "account_type": "checking",
                                "bank_name": "STRIPE TEST BANK", "last4": "6789",
                                "routing_number": "110000000"}})
    brand, last4 = ("mastercard", "4444") if "mastercard" in token else ("visa", "4242")
    return shaped("payment_method", {
        "id": token, "type": "card",
        "card": {"brand": brand, "last4": last4, "exp_month": 12, "exp_year": 2034,
                 "funding": "credit"}})


def _payment_error(error_type: str, code: str, message: str, token: str,
                   **fields: Any) -> dict[str, Any]:
    """A PaymentIntent's last_payment_error (also the body of a 402, without its nulls)."""
    return shaped(stripe.PaymentIntent.LastPaymentError, {
        "type": error_type, "code": code, "message": message,
        "payment_method": _payment_method(token), **fields})


def _nested(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding back into objects: a[b]=1 -> {"a": {"b": "1"}}, a[0]=x -> list."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        names = re.findall(r"[^\[\]]+", key)
        holder = root
        for name in names[:-1]:
            holder = holder.setdefault(name, {})
        holder[names[-1]] = value
    return _lists(root)


def _lists(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if value and all(name.isdigit() for name in value):
        return [_lists(value[name]) for name in sorted(value, key=int)]
    return {name: _lists(item) for name, item in value.items()}
