"""Every request HealthPay sends Stripe fits Stripe's contract at the API version it names.

The contract is the installed stripe-python's own (tests/stripe_contract.py); the requests are
recorded by the stub as the real SDK sends them.
"""

from __future__ import annotations

import re

import pytest
import stripe
from hypothesis import given
from hypothesis import strategies as st

from services.adapters.stripe_gateway import STRIPE_API_VERSION
from tests.stripe_contract import (
    KNOWN_API_VERSIONS,
    SDK_API_VERSION,
    ContractViolation,
    check_answer,
    check_request,
    params_type,
    shaped,
)
from tests.stripe_stub import (
    StripeStub,
    _nested,
    decline_token,
    stub_gateway,
    use_stripe_sdk_action,
)

from .test_stripe_gateway import premium

VERSION = {"stripe-version": SDK_API_VERSION}


@pytest.fixture
def stripe_stub():
    with StripeStub() as stub:
        yield stub


def refusal(method: str, path: str, params: dict, headers: dict | None = None) -> dict:
    with pytest.raises(ContractViolation) as refused:
        check_request(method, path, VERSION if headers is None else headers, params)
    assert refused.value.body["error"]["type"] == "invalid_request_error"
    return refused.value.body["error"]


def a_charge(**extra) -> dict:
    return {"amount": "41250", "currency": "usd", "payment_method": "pm_card_visa",
            "confirm": "true", **extra}


def test_the_version_sent_is_pinned_in_the_client_not_taken_from_the_sdk(stripe_stub,
                                                                         monkeypatch):
    # A process-wide setting (or an SDK upgrade's new default) does not change it.
    monkeypatch.setattr(stripe, "api_version", "2024-06-20")

    stub_gateway(stripe_stub).charge(premium())

    [sent] = stripe_stub.requests
    assert sent.headers["stripe-version"] == STRIPE_API_VERSION
    assert STRIPE_API_VERSION in KNOWN_API_VERSIONS


def test_payment_method_types_is_refused_as_stripe_refuses_it_since_endive():
    for path in ("/v1/payment_intents", "/v1/checkout/sessions"):
        params = a_charge() if path == "/v1/payment_intents" else {"mode": "setup"}
        error = refusal("POST", path, {**params, "payment_method_types": ["card"]})
        assert error["code"] == "payment_method_types_no_longer_supported"
        assert error["param"] == "payment_method_types"
    check_request("POST", "/v1/payment_intents",
                  VERSION, a_charge(allowed_payment_method_types=["card", "us_bank_account"]))


def test_a_version_the_check_has_no_contract_for_is_refused():
    error = refusal("POST", "/v1/payment_intents", a_charge(),
                    headers={"stripe-version": "2024-06-20"})
    assert "2024-06-20" in error["message"]
    assert refusal("POST", "/v1/payment_intents", a_charge(), headers={})


def test_unknown_missing_mistyped_and_off_list_parameters_are_refused():
    unknown = refusal("POST", "/v1/payment_intents", a_charge(colour="blue"))
    assert (unknown["code"], unknown["param"]) == ("parameter_unknown", "colour")
    nested = refusal("POST", "/v1/checkout/sessions",
                     {"mode": "setup", "setup_intent_data": {"metdata": {"a": "1"}}})
    assert (nested["code"], nested["param"]) == ("parameter_unknown",
                                                 "setup_intent_data[metdata]")
    missing = refusal("POST", "/v1/payment_intents", {"currency": "usd"})
    assert (missing["code"], missing["param"]) == ("parameter_missing", "amount")
    not_int = refusal("POST", "/v1/payment_intents", a_charge(amount="412.50"))
    assert (not_int["code"], not_int["param"]) == ("parameter_invalid_integer", "amount")
    not_bool = refusal("POST", "/v1/payment_intents", a_charge(confirm="yes"))
    assert not_bool["param"] == "confirm"
    not_list = refusal("POST", "/v1/payment_intents",
                       a_charge(allowed_payment_method_types="card"))
    assert not_list["param"] == "allowed_payment_method_types"
    # Where the SDK lists the only values allowed (not "one of these or any string").
    off_list = refusal("POST", "/v1/payment_intents", a_charge(
        payment_method_options={"card": {"capture_method": "automatic"}}))
    assert off_list["param"] == "payment_method_options[card][capture_method]"
    assert "manual" in off_list["message"]
    assert refusal("GET", "/v1/payment_intents/search", {"limit": "1"})["param"] == "query"
    assert refusal("GET", "/v1/refunds", {})


def test_the_stub_refuses_with_stripes_error_through_the_sdk(stripe_stub):
    client = stripe.StripeClient("sk_test_stub", base_addresses={"api": stripe_stub.url},
                                 stripe_version=STRIPE_API_VERSION)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_intents.create({"amount": 41250, "currency": "usd",
                                          "payment_method_types": ["card"]})

    assert refused.value.http_status == 400
    assert refused.value.code == "payment_method_types_no_longer_supported"
    assert refused.value.param == "payment_method_types"
    assert stripe_stub.intents_created == 0


def _shape(request) -> tuple[str, str, tuple[str, ...]]:
    """A request's shape: endpoint and the parameter names it sends (list items as [])."""
    endpoint = next(p.pattern for m, p, t in __import__("tests.stripe_contract", fromlist=["x"])
                    .ENDPOINTS if m == request.method and p.fullmatch(request.path))
    names = set()

    def walk(value, prefix):
        if isinstance(value, dict) and not prefix.endswith("metadata"):
            for name, item in value.items():
                walk(item, f"{prefix}[{name}]" if prefix else name)
        elif isinstance(value, list):
            for item in value:
                walk(item, f"{prefix}[]")
        else:
            names.add(prefix)
    walk(request.params, "")
    return request.method, endpoint, tuple(sorted(names))


def test_every_request_healthpay_makes_fits_the_contract(stripe_stub):
    """Drives every gateway call HealthPay makes, in each variant, through the real SDK."""
    gateway = stub_gateway(stripe_stub)
    customer = gateway.ensure_customer(account_id=7, email="a@example.test", name="Ana Lima",
                                       existing_id=None)
    paid = gateway.charge(premium(customer_id=customer, description="Premium HP-1",
                                  metadata={"reference": "HP-1"}))
    gateway.charge(premium(decline_token("insufficient_funds"), key="k-2"))
    on_session = gateway.charge(premium("pm_card_authenticationRequired", key="k-3"))
    off_session = gateway.charge(premium("pm_card_authenticationRequired", key="k-4",
                                         off_session=True))
    # The member back on-session to finish both (the 3-D Secure page).
    gateway.resume_authentication(off_session.gateway_ref, return_url="https://a.test/back")
    stripe_stub.intents[on_session.gateway_ref]["next_action"] = use_stripe_sdk_action()
    gateway.resume_authentication(on_session.gateway_ref, return_url=None)
    gateway.charge(premium("pm_usBankAccount_success", key="k-5", customer_id=None))
    gateway.retrieve(idempotency_key="k-1", gateway_ref=paid.gateway_ref)
    gateway.retrieve(idempotency_key="pay-key-1", gateway_ref=None)
    gateway.retrieve(idempotency_key="k-6", gateway_ref="pi_missing")
    url = gateway.create_setup_checkout(customer_id=customer, account_id=7,
                                        success_url="https://a.test/ok?s={CHECKOUT_SESSION_ID}",
                                        cancel_url="https://a.test/no")
    session_id = url.rsplit("/", 1)[1]
    stripe_stub.complete_checkout(session_id, "pm_card_visa")
    gateway.saved_method_from_checkout_session(session_id)
    gateway.saved_method_from_setup_intent(stripe_stub.sessions[session_id]["setup_intent"])

    assert stripe_stub.refused == []
    shapes = {_shape(request) for request in stripe_stub.requests}
    assert {request.headers["stripe-version"] for request in stripe_stub.requests} == \
        {STRIPE_API_VERSION}
    assert {(method, path) for method, path, _ in shapes} == {
        ("POST", "/v1/customers"), ("POST", "/v1/payment_intents"),
        ("GET", "/v1/payment_intents/[^/]+"), ("GET", "/v1/payment_intents/search"),
        ("POST", "/v1/checkout/sessions"), ("GET", "/v1/checkout/sessions/[^/]+"),
        ("GET", "/v1/setup_intents/[^/]+"), ("POST", "/v1/payment_intents/[^/]+/confirm"),
    }
    print(f"{len(stripe_stub.requests)} requests, {len(shapes)} request shapes checked")
    assert len(shapes) >= 11


_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
_values = st.text(min_size=1, max_size=12)
_params = st.recursive(
    _values,
    lambda inner: st.lists(inner, min_size=1, max_size=3)
    | st.dictionaries(_names, inner, min_size=1, max_size=3),
    max_leaves=8,
)


@given(st.dictionaries(_names, _params, min_size=1, max_size=4))
def test_the_stub_reads_back_whatever_the_sdk_encodes(params):
    """The contract is checked on the form body decoded the way the SDK encodes it."""
    from urllib.parse import parse_qsl, urlencode

    from stripe._encode import _api_encode

    body = urlencode(list(_api_encode(params)))

    assert _nested(parse_qsl(body, keep_blank_values=True)) == params


def test_answers_not_shaped_as_stripes_objects_are_caught():
    intent = shaped("payment_intent", {"id": "pi_1", "status": "succeeded"})
    check_answer(intent)
    with pytest.raises(AssertionError, match="missing"):
        check_answer({key: value for key, value in intent.items() if key != "currency"})
    with pytest.raises(AssertionError, match="unknown"):
        check_answer({**intent, "return_url": "https://a.test"})
    with pytest.raises(AssertionError, match="unknown"):
        check_answer({**intent, "next_action": {"type": "redirect_to_url", "redirect": {}}})
    with pytest.raises(AssertionError):
        shaped("payment_intent", {"payment_method_typos": []})


def test_each_endpoint_named_has_the_sdks_parameter_type():
    assert params_type("POST", "/v1/payment_intents").__name__ == "PaymentIntentCreateParams"
    assert params_type("POST", "/v1/payment_intents/pi_1/confirm").__name__ == \
        "PaymentIntentConfirmParams"
    assert params_type("GET", "/v1/checkout/sessions/cs_1").__name__ == "SessionRetrieveParams"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}\.\w+", SDK_API_VERSION)
