"""A signed Stripe event whose object is not shaped as Stripe sends it is refused as invalid
(the webhook answers 400), never half-read (found by fuzzing the webhook, issue 8)."""

from __future__ import annotations

import datetime as dt

import pytest

from services.adapters.stripe_events import (
    InvalidWebhook,
    StripeEvent,
    method_setup_from_event,
    payment_update_from_event,
)


def event(event_type: str, obj) -> StripeEvent:
    return StripeEvent("evt_1", event_type, dt.datetime(2026, 11, 17, tzinfo=dt.UTC), obj)


@pytest.mark.parametrize("obj", [
    {}, {"id": "pi_1"}, {"status": "succeeded"}, {"id": 7, "status": "succeeded"},
    {"id": "pi_1", "status": "requires_payment_method", "last_payment_error": "declined"},
    {"id": "pi_1", "status": "requires_payment_method", "last_payment_error": {"code": 4}},
    {"id": "pi_1", "status": "succeeded", "metadata": ["idempotency_key"]},
    {"id": "pi_1", "status": "succeeded", "metadata": {"idempotency_key": ["a", "b"]}},
])
def test_a_malformed_payment_intent_is_invalid(obj):
    with pytest.raises(InvalidWebhook):
        payment_update_from_event(event("payment_intent.succeeded", obj))


@pytest.mark.parametrize(("event_type", "obj"), [
    ("setup_intent.succeeded", {}),
    ("setup_intent.succeeded", {"id": ["seti_1"]}),
    ("setup_intent.succeeded", {"id": "seti_1", "payment_method": {"id": 5}}),
    ("checkout.session.completed", {"mode": "setup", "setup_intent": [1]}),
    ("checkout.session.completed", {"mode": "setup", "setup_intent": "seti_1",
                                    "metadata": "account 5"}),
])
def test_a_malformed_setup_is_invalid(event_type, obj):
    with pytest.raises(InvalidWebhook):
        method_setup_from_event(event(event_type, obj))


def test_well_formed_events_still_read():
    update = payment_update_from_event(event("payment_intent.succeeded", {
        "id": "pi_1", "status": "succeeded", "metadata": {"idempotency_key": "hp-pay-X"}}))
    assert (update.gateway_ref, update.idempotency_key, update.status) == \
        ("pi_1", "hp-pay-X", "succeeded")
    setup = method_setup_from_event(event("setup_intent.succeeded", {
        "id": "seti_1", "payment_method": {"id": "pm_1"}, "metadata": {"account_id": "5"}}))
    assert (setup.setup_intent_id, setup.payment_method_id, setup.account_id) == \
        ("seti_1", "pm_1", 5)
