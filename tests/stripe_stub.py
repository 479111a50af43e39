"""A local stand-in for the parts of Stripe's API that HealthPay uses, for tests.

The real `stripe` SDK talks to it through its API base address, so requests, retries,
idempotency headers and error classes are the SDK's own. It keeps Stripe's behaviour where
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


def stub_gateway(stub: StripeStub, *, max_network_retries: int = 2,
                 timeout: float = 5) -> StripeGateway:
    return StripeGateway(
        "sk_test_stub",
        api_base=stub.url,
        public_base_url="https://healthpay.test",
        max_network_retries=max_network_retries,
        http_client=QuickRetryClient(timeout=timeout),
    )


class StripeStub:
    def __init__(self):
        self.requests: list[RecordedRequest] = []
        self.intents: dict[str, dict[str, Any]] = {}
        self.customers: dict[str, dict[str, Any]] = {}
        self.sessions: dict[str, dict[str, Any]] = {}
        self.setup_intents: dict[str, dict[str, Any]] = {}
        # Stripe's search lags behind writes; set this to see what a caller does meanwhile.
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

    # --- what tests set up and inspect -------------------------------------------------

    def fail_next(self, kind: str, times: int = 1, *, delay: float = 0.0,
                  should_retry: bool = False) -> None:
        """The next `times` requests meet a fault:
        "429" rate limit, "500" server error (neither reaches the endpoint), "drop" closes
        the connection unanswered, "drop_after" handles the request and then drops the answer,
        "slow" handles it and answers after `delay` seconds, "500_after" handles it and
        answers 500 with Stripe-Should-Retry: false — and, as Stripe does, saves that 500 as
        the key's result. `should_retry` adds Stripe-Should-Retry: true to a 429 or 500."""
        assert kind in {"429", "500", "500_after", "drop", "drop_after", "slow"}, kind
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
            intent["last_payment_error"] = {
                "code": reason,
                "message": f"The bank returned the debit: {reason}.",
                "payment_method": {"id": intent["payment_method"]},
            }
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
                intent["last_payment_error"] = {
                    "code": "payment_intent_authentication_failure",
                    "message": "The member did not approve the payment.",
                    "payment_method": {"id": intent["payment_method"]},
                }

    def complete_checkout(self, session_id: str, token: str = "pm_card_visa") -> dict[str, Any]:
        """The member saves `token` on the hosted page; returns checkout.session.completed."""
        with self._lock:
            session = self.sessions[session_id]
            setup_intent = self.setup_intents[session["setup_intent"]]
            setup_intent.update(status="succeeded", payment_method=token)
            session.update(status="complete")
            return self.event("checkout.session.completed", session)

    def event(self, event_type: str, obj: dict[str, Any]) -> dict[str, Any]:
        """A snapshot event as Stripe would post it to a webhook endpoint."""
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
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else url.query
        pairs = parse_qsl(body, keep_blank_values=True)
        headers = {name.lower(): value for name, value in handler.headers.items()}
        with self._lock:
            self.requests.append(RecordedRequest(method, url.path, headers, _nested(pairs)))
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
        with self._lock:
            status, payload, extra = self._answer(method, url.path, pairs, headers)
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
        customer = {"id": self._new_id("cus"), "object": "customer", "email": params.get("email"),
                    "name": params.get("name"), "metadata": params.get("metadata", {})}
        self.customers[customer["id"]] = customer
        return customer

    def _create_intent(self, params: dict[str, Any]) -> tuple[int, dict]:
        token = params.get("payment_method", "")
        intent = {
            "id": self._new_id("pi"),
            "object": "payment_intent",
            "amount": int(params["amount"]),
            "currency": params["currency"],
            "customer": params.get("customer"),
            "description": params.get("description"),
            "payment_method": token,
            "payment_method_types": params.get("payment_method_types", ["card"]),
            "metadata": params.get("metadata", {}),
            "status": "requires_confirmation",
            "last_payment_error": None,
            "next_action": None,
            "created": int(time.time()),
            "livemode": False,
        }
        intent["client_secret"] = f"{intent['id']}_secret_stub"
        self.intents[intent["id"]] = intent
        if params.get("confirm") != "true":
            return 200, intent
        reason = _decline_reason(token)
        if token == AUTHENTICATION_REQUIRED:
            if params.get("off_session") == "true":
                reason = "authentication_required"
            else:
                intent.update(status="requires_action", next_action=_next_action(intent, params))
                return 200, intent
        if reason:
            error = _error("card_error", reason if reason in _OWN_ERROR_CODES else "card_declined",
                           "Your card was declined.", decline_code=reason)
            error["error"]["payment_method"] = {"id": token, "object": "payment_method"}
            intent.update(status="requires_payment_method", last_payment_error=error["error"])
            error["error"]["payment_intent"] = json.loads(json.dumps(intent))
            return 402, error
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
        setup_intent = {
            "id": self._new_id("seti"),
            "object": "setup_intent",
            "customer": params.get("customer"),
            "payment_method": None,
            "payment_method_types": params.get("payment_method_types", ["card"]),
            "status": "requires_payment_method",
            "metadata": params.get("setup_intent_data", {}).get("metadata", {}),
            "usage": "off_session",
        }
        self.setup_intents[setup_intent["id"]] = setup_intent
        session_id = self._new_id("cs_test")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": params["mode"],
            "currency": params.get("currency"),
            "customer": params.get("customer"),
            "payment_method_types": params.get("payment_method_types", ["card"]),
            "setup_intent": setup_intent["id"],
            "success_url": params["success_url"],
            "cancel_url": params.get("cancel_url"),
            "metadata": params.get("metadata", {}),
            "status": "open",
            "url": f"https://checkout.stripe.com/c/pay/{session_id}",
        }
        self.sessions[session_id] = session
        return session

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


def _next_action(intent: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """Stripe redirects for 3-D Secure when given a return_url, else leaves it to Stripe.js."""
    if params.get("return_url"):
        return {"type": "redirect_to_url", "redirect_to_url": {
            "url": f"https://hooks.stripe.com/3d_secure_2/hosted?payment_intent={intent['id']}",
            "return_url": params["return_url"]}}
    return {"type": "use_stripe_sdk", "use_stripe_sdk": {}}


def _payment_method(token: str) -> dict[str, Any]:
    if token.startswith("pm_usBankAccount"):
        return {"id": token, "object": "payment_method", "type": "us_bank_account",
                "us_bank_account": {"account_holder_type": "individual",
                                    "account_type": "checking", "bank_name": "STRIPE TEST BANK",
                                    "last4": "6789", "routing_number": "110000000"}}
    brand, last4 = ("mastercard", "4444") if "mastercard" in token else ("visa", "4242")
    return {"id": token, "object": "payment_method", "type": "card",
            "card": {"brand": brand, "last4": last4, "exp_month": 12, "exp_year": 2034,
                     "funding": "credit"}}


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
