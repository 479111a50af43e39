"""The HTTP app fuzzed from its own OpenAPI description (schemathesis): whatever a client sends
to any route — requests that follow the schema and requests that break it — the app never
answers 5xx. Run against the app as `healthpay serve` builds it on the sandbox, and on Stripe
(the local stub) with its webhook route.

Cases come from schemathesis's Hypothesis strategies, one operation after another (its pytest
plugin's lazy fixtures do not run on this pytest).
"""

from __future__ import annotations

import dataclasses
import json

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from bot.http.app import create_app
from services.adapters.stripe_events import sign_payload
from services.persistence.models import Base
from tests.stripe_stub import StripeStub, stub_gateway

EXAMPLES_PER_OPERATION = 25
WEBHOOK_SECRET = "whsec_fuzz_0123456789"


@pytest.fixture
def on_stripe(app_runtime):
    """The runtime on the Stripe gateway (the local stub), its webhook route mounted."""
    with StripeStub() as stub:
        app_runtime.services = dataclasses.replace(app_runtime.services,
                                                   gateway=stub_gateway(stub))
        app_runtime.settings = app_runtime.settings.model_copy(
            update={"stripe_webhook_secret": WEBHOOK_SECRET})
        yield app_runtime


@pytest.fixture(params=["sandbox", "stripe"])
def app(request, app_runtime, e2e_engine):
    # Tables added to the models since the seeded database's migration (a no-op after it).
    Base.metadata.create_all(e2e_engine)
    runtime = request.getfixturevalue("on_stripe") if request.param == "stripe" else app_runtime
    runtime.settings = runtime.settings.model_copy(update={"api_docs_enabled": True})
    return create_app(runtime)


def test_no_route_answers_5xx(app):
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {"/webhooks/rest/webhook", "/healthz", "/readyz", "/metrics"} <= {
        operation.path for operation in operations}
    server_errors: list[str] = []
    tried = 0

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def call(case) -> None:
                nonlocal tried
                tried += 1
                response = case.call()
                if response.status_code >= 500:
                    server_errors.append(f"{response.status_code} {case.method} {case.path} "
                                         f"{case.as_curl_command()}")

            try:
                call()
            except Unsatisfiable:  # nothing to break in a request without parameters
                assert mode is GenerationMode.NEGATIVE, operation.path

    assert tried >= len(operations)
    assert not server_errors, "\n".join(server_errors[:10])


HEADER_CHARACTERS = st.characters(min_codepoint=32, max_codepoint=126)
EVENT_TYPES = ["payment_intent.succeeded", "payment_intent.payment_failed",
               "payment_intent.processing", "checkout.session.completed",
               "setup_intent.succeeded", "charge.refunded"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8)
stripe_objects = st.fixed_dictionaries({}, optional={
    "id": st.text(max_size=20) | json_values, "status": st.sampled_from(
        ["succeeded", "processing", "requires_payment_method", "canceled", "requires_action",
         "weird"]) | json_values,
    "metadata": st.dictionaries(st.sampled_from(["idempotency_key", "account_id"]),
                                json_values, max_size=2) | json_values,
    "last_payment_error": json_values, "mode": st.just("setup") | json_values,
    "setup_intent": json_values, "payment_method": json_values, "customer": json_values})


def test_the_stripe_webhook_never_answers_5xx_to_odd_bodies(on_stripe):
    """Its OpenAPI entry has no body (it reads the raw bytes to check the signature), so the
    bodies come from here: random bytes, unsigned or wrongly signed events, and events signed
    with the right secret but of any shape."""
    signed_at = int(on_stripe.services.now().timestamp())
    server_errors = []

    with TestClient(create_app(on_stripe), raise_server_exceptions=False) as client:
        @settings(max_examples=150, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(st.one_of(
            st.tuples(st.binary(max_size=200), st.text(HEADER_CHARACTERS, max_size=80),
                      st.just(False)),
            st.tuples(st.builds(lambda t, o, i, c: json.dumps(
                {"id": i, "type": t, "created": c, "data": {"object": o}}).encode(),
                st.sampled_from(EVENT_TYPES), stripe_objects, json_values,
                st.integers(0, 2**40) | json_values), st.just(""), st.booleans())))
        def post(attempt) -> None:
            body, header, sign = attempt
            if sign:
                header = sign_payload(body, WEBHOOK_SECRET, signed_at)
            response = client.post("/stripe/webhook", content=body,
                                   headers={"Stripe-Signature": header})
            if response.status_code >= 500:
                server_errors.append(f"{response.status_code} {body[:300]!r}")

        post()
    assert not server_errors, "\n".join(server_errors[:5])
