"""The Stripe gateway through the real SDK against the local Stripe stub."""

from __future__ import annotations

import json

import pytest

from services import events
from services.adapters.stripe_events import (
    method_setup_from_event,
    payment_update_from_event,
    sign_payload,
    verify_and_parse,
)
from services.adapters.stripe_gateway import GatewayRejected
from services.errors import GatewayNeedsOperator, GatewayUnavailable
from services.payment_outcomes import next_status
from services.ports import ChargeRequest, ChargeResult
from tests.stripe_stub import StripeStub, decline_token, stub_gateway, use_stripe_sdk_action

WEBHOOK_SECRET = "whsec_test_stub"
# The decline reasons the troubleshooting answers name (authentication_required is below).
DECLINE_REASONS = [
    "insufficient_funds", "expired_card", "incorrect_cvc", "incorrect_number", "incorrect_zip",
    "processing_error", "issuer_not_available", "try_again_later", "do_not_honor",
    "generic_decline", "call_issuer", "card_velocity_exceeded", "transaction_not_allowed",
    "lost_card", "stolen_card", "fraudulent",
]


@pytest.fixture
def stripe_stub():
    with StripeStub() as stub:
        yield stub


@pytest.fixture
def gateway(stripe_stub):
    return stub_gateway(stripe_stub)


@pytest.fixture
def alerts():
    """The operator alerts raised meanwhile, as (gateway, reason)."""
    raised = []

    def listen(name, fields):
        if name == "gateway_alert":
            raised.append((fields["gateway"], fields["reason"]))
    events.subscribe(listen)
    yield raised
    events.unsubscribe(listen)


def premium(token: str = "pm_card_visa", key: str = "pay-key-1", **fields) -> ChargeRequest:
    fields.setdefault("customer_id", "cus_member")
    return ChargeRequest(amount_cents=41_250, method_token=token, idempotency_key=key, **fields)


def intent_posts(stub: StripeStub):
    return stub.requests_to("POST", "/v1/payment_intents")


def deliver(stub: StripeStub, event: dict):
    """Sign an event as Stripe does and read it back as the webhook route will."""
    payload = json.dumps(event).encode()
    header = sign_payload(payload, WEBHOOK_SECRET, event["created"])
    return verify_and_parse(payload, header, WEBHOOK_SECRET)


def test_a_saved_card_is_charged_once_with_the_payments_key(gateway, stripe_stub):
    result = gateway.charge(premium(metadata={"payment_reference": "HP-7Q2K"}))

    assert result.status == "succeeded" and result.decline_code is None
    assert result.gateway_ref == next(iter(stripe_stub.intents))
    [sent] = intent_posts(stripe_stub)
    assert sent.idempotency_key == "pay-key-1"
    assert sent.params["amount"] == "41250" and sent.params["currency"] == "usd"
    assert sent.params["customer"] == "cus_member"
    assert sent.params["payment_method"] == "pm_card_visa"
    assert sent.params["confirm"] == "true" and "off_session" not in sent.params
    assert sent.params["metadata"] == {"payment_reference": "HP-7Q2K",
                                       "idempotency_key": "pay-key-1"}
    assert sent.params["return_url"] == "https://healthpay.test/payments/return"


@pytest.mark.parametrize("reason", DECLINE_REASONS)
def test_each_decline_reason_comes_back_as_declined_with_its_code(gateway, stripe_stub, reason):
    result = gateway.charge(premium(decline_token(reason)))

    assert result.status == "declined"
    assert result.decline_code == reason
    assert result.action_url is None
    assert stripe_stub.intents[result.gateway_ref]["status"] == "requires_payment_method"


def test_a_card_needing_3ds_on_session_gives_the_member_a_link(gateway, stripe_stub):
    result = gateway.charge(premium("pm_card_authenticationRequired"))

    assert result.status == "requires_action"
    assert result.action_url.startswith(f"{stripe_stub.url}/3d_secure_2/hosted?")
    assert result.gateway_ref in result.action_url


def test_autopay_needing_3ds_is_declined_with_a_link_to_finish_it(gateway, stripe_stub):
    result = gateway.charge(premium("pm_card_authenticationRequired", off_session=True))

    assert result == ChargeResult(
        "declined", result.gateway_ref, "authentication_required",
        f"https://healthpay.test/payments/authenticate/{result.gateway_ref}",
    )
    [sent] = intent_posts(stripe_stub)
    assert sent.params["off_session"] == "true" and "return_url" not in sent.params


def test_a_3ds_intent_without_a_redirect_uses_healthpays_own_page(gateway, stripe_stub):
    ref = gateway.charge(premium("pm_card_authenticationRequired")).gateway_ref
    stripe_stub.intents[ref]["next_action"] = use_stripe_sdk_action()

    result = gateway.retrieve(idempotency_key="pay-key-1", gateway_ref=ref)

    assert result.action_url == f"https://healthpay.test/payments/authenticate/{ref}"


def test_a_bank_debit_processes_then_the_webhook_settles_it(gateway, stripe_stub):
    result = gateway.charge(premium("pm_usBankAccount_success"))
    assert result.status == "processing"

    update = payment_update_from_event(deliver(stripe_stub, stripe_stub.settle(result.gateway_ref)))

    assert (update.gateway_ref, update.idempotency_key) == (result.gateway_ref, "pay-key-1")
    assert update.status == "succeeded"
    assert next_status("processing", update.status) == "succeeded"
    assert gateway.retrieve(idempotency_key="pay-key-1", gateway_ref=result.gateway_ref) == \
        ChargeResult("succeeded", result.gateway_ref)


def test_a_returned_bank_debit_is_declined_by_the_webhook(gateway, stripe_stub):
    result = gateway.charge(premium("pm_usBankAccount_insufficientFunds"))

    event = deliver(stripe_stub, stripe_stub.settle(result.gateway_ref))
    update = payment_update_from_event(event)

    assert event.type == "payment_intent.payment_failed"
    assert (update.status, update.decline_code) == ("declined", "insufficient_funds")
    assert next_status("processing", update.status) == "failed"


def test_a_500_is_retried_with_the_same_key_and_charges_once(gateway, stripe_stub):
    stripe_stub.fail_next("500")

    result = gateway.charge(premium())

    assert result.status == "succeeded"
    attempts = intent_posts(stripe_stub)
    assert [a.idempotency_key for a in attempts] == ["pay-key-1", "pay-key-1"]
    assert stripe_stub.intents_created == 1


def test_a_lost_answer_is_retried_and_stripe_replays_the_first_charge(gateway, stripe_stub):
    stripe_stub.fail_next("drop_after")

    result = gateway.charge(premium())

    assert result.status == "succeeded"
    assert [a.idempotency_key for a in intent_posts(stripe_stub)] == ["pay-key-1"] * 2
    assert stripe_stub.intents_created == 1


def test_a_rate_limit_is_not_retried_by_the_sdk_and_leaves_the_outcome_open(gateway,
                                                                             stripe_stub):
    stripe_stub.fail_next("429")

    with pytest.raises(GatewayUnavailable):
        gateway.charge(premium())

    assert len(intent_posts(stripe_stub)) == 1
    assert stripe_stub.intents_created == 0


def test_a_rate_limit_stripe_marks_retryable_is_retried_then_given_up(gateway, stripe_stub):
    stripe_stub.fail_next("429", times=3, should_retry=True)

    with pytest.raises(GatewayUnavailable):
        gateway.charge(premium())

    assert [a.idempotency_key for a in intent_posts(stripe_stub)] == ["pay-key-1"] * 3
    assert gateway.charge(premium()).status == "succeeded"
    assert stripe_stub.intents_created == 1


def test_a_dropped_connection_after_charging_is_found_by_reconciliation(gateway, stripe_stub):
    stripe_stub.fail_next("drop_after", times=3)

    with pytest.raises(GatewayUnavailable):
        gateway.charge(premium())

    found = gateway.retrieve(idempotency_key="pay-key-1", gateway_ref=None)
    assert found == ChargeResult("succeeded", next(iter(stripe_stub.intents)))
    assert stripe_stub.intents_created == 1


def test_a_dropped_connection_before_charging_is_charged_once_on_the_second_try(gateway,
                                                                                stripe_stub):
    stripe_stub.fail_next("drop", times=3)

    with pytest.raises(GatewayUnavailable):
        gateway.charge(premium())
    assert gateway.retrieve(idempotency_key="pay-key-1", gateway_ref=None) is None

    assert gateway.charge(premium()).status == "succeeded"
    assert stripe_stub.intents_created == 1


def test_a_500_stripe_saved_is_replayed_so_reconciliation_searches(gateway, stripe_stub):
    stripe_stub.fail_next("500_after")

    with pytest.raises(GatewayUnavailable):
        gateway.charge(premium())
    assert len(intent_posts(stripe_stub)) == 1  # Stripe-Should-Retry: false stops the SDK
    with pytest.raises(GatewayUnavailable):
        gateway.charge(premium())  # the same key gets the same 500 for 24 hours

    found = gateway.retrieve(idempotency_key="pay-key-1", gateway_ref=None)
    assert found == ChargeResult("succeeded", next(iter(stripe_stub.intents)))
    assert stripe_stub.intents_created == 1


def test_after_a_timeout_charging_again_with_the_key_returns_the_first_intent(stripe_stub):
    gateway = stub_gateway(stripe_stub, max_network_retries=0, timeout=0.3)
    stripe_stub.fail_next("slow", delay=0.8)
    with pytest.raises(GatewayUnavailable):
        gateway.charge(premium())
    # Search has not caught up yet: no proof either way, so the charge is sent again.
    stripe_stub.search_lags = True
    assert gateway.retrieve(idempotency_key="pay-key-1", gateway_ref=None) is None

    again = gateway.charge(premium())

    assert again == ChargeResult("succeeded", next(iter(stripe_stub.intents)))
    assert stripe_stub.intents_created == 1


def test_reusing_a_key_with_other_parameters_is_no_proof_and_alerts(gateway, stripe_stub,
                                                                     alerts):
    gateway.charge(premium())

    # The first request, which charged, is the one that counts: not "nothing was charged".
    with pytest.raises(GatewayNeedsOperator):
        gateway.charge(ChargeRequest(99, "pm_card_visa", "pay-key-1", customer_id="cus_member"))

    assert stripe_stub.intents_created == 1
    assert alerts == [("stripe", "idempotency")]


@pytest.mark.parametrize(("fault", "reason"), [("401", "authentication"),
                                               ("403", "permission")])
def test_a_refused_key_is_no_proof_and_alerts(gateway, stripe_stub, alerts, fault, reason):
    stripe_stub.fail_next(fault)

    with pytest.raises(GatewayNeedsOperator):
        gateway.charge(premium())

    assert alerts == [("stripe", reason)]


@pytest.mark.parametrize("fault", ["400", "401", "403"])
def test_a_failed_search_or_read_is_no_proof_and_alerts(gateway, stripe_stub, alerts, fault):
    stripe_stub.fail_next(fault, times=2)

    with pytest.raises(GatewayNeedsOperator):
        gateway.retrieve(idempotency_key="pay-key-1", gateway_ref=None)
    with pytest.raises(GatewayNeedsOperator):
        gateway.retrieve(idempotency_key="pay-key-1", gateway_ref="pi_known")

    assert [reason for _, reason in alerts] == {
        "400": ["search_failed", "read_failed"], "401": ["authentication"] * 2,
        "403": ["permission"] * 2}[fault]


def test_refused_parameters_of_a_charge_prove_nothing_was_charged(gateway, stripe_stub):
    with pytest.raises(GatewayRejected):
        gateway.charge(ChargeRequest(20, "pm_card_visa", "pay-key-9"))

    assert stripe_stub.intents_created == 0


def test_reconciliation_reads_the_intent_by_reference(gateway, stripe_stub):
    declined = gateway.charge(premium("pm_card_visa_chargeDeclinedStolenCard", key="k-stolen"))
    bank = gateway.charge(premium("pm_usBankAccount_success", key="k-bank"))

    assert gateway.retrieve(idempotency_key="k-stolen", gateway_ref=declined.gateway_ref) == \
        ChargeResult("declined", declined.gateway_ref, "stolen_card",
                     advice_code="do_not_try_again")
    assert gateway.retrieve(idempotency_key="k-bank", gateway_ref=bank.gateway_ref).status == \
        "processing"
    assert gateway.retrieve(idempotency_key="k-none", gateway_ref="pi_unknown") is None


def test_a_member_gets_one_stripe_customer(gateway, stripe_stub):
    first = gateway.ensure_customer(account_id=12, email="ana@example.test", name="Ana Lima",
                                    existing_id=None)
    # A retry after the id was lost (a crash before it was stored) replays the same customer.
    again = gateway.ensure_customer(account_id=12, email="ana@example.test", name="Ana Lima",
                                    existing_id=None)
    known = gateway.ensure_customer(account_id=12, email="ana@example.test", name="Ana Lima",
                                    existing_id=first)

    assert first == again == known
    assert list(stripe_stub.customers) == [first]
    assert stripe_stub.customers[first]["metadata"] == {"account_id": "12"}
    [sent, _] = stripe_stub.requests_to("POST", "/v1/customers")
    assert sent.idempotency_key == "hp-customer-12"


def test_methods_are_saved_through_checkout_in_setup_mode(gateway, stripe_stub):
    url = gateway.create_setup_checkout(
        customer_id="cus_member", account_id=12, cancel_url="https://healthpay.test/methods",
        success_url="https://healthpay.test/methods/done?session={CHECKOUT_SESSION_ID}")
    [sent] = stripe_stub.requests_to("POST", "/v1/checkout/sessions")
    session_id = url.rsplit("/", 1)[1]
    assert url == stripe_stub.sessions[session_id]["url"]
    assert sent.params["mode"] == "setup" and sent.params["customer"] == "cus_member"
    assert sent.params["allowed_payment_method_types"] == ["card", "us_bank_account"]
    assert sent.params["setup_intent_data"] == {"metadata": {"account_id": "12"}}
    assert gateway.saved_method_from_checkout_session(session_id) is None

    event = deliver(stripe_stub, stripe_stub.complete_checkout(session_id, "pm_card_visa"))
    completed = method_setup_from_event(event)

    assert (completed.account_id, completed.customer_id) == (12, "cus_member")
    saved = gateway.saved_method_from_setup_intent(completed.setup_intent_id)
    assert saved == gateway.saved_method_from_checkout_session(session_id)
    assert (saved.token, saved.kind, saved.brand, saved.last4) == \
        ("pm_card_visa", "card", "Visa", "4242")
    assert (saved.exp_month, saved.exp_year) == (12, 2034)


def test_a_saved_bank_account_reads_as_its_account_type(gateway, stripe_stub):
    url = gateway.create_setup_checkout(customer_id="cus_member", account_id=12,
                                        success_url="https://a.test/ok",
                                        cancel_url="https://a.test/no")
    session_id = url.rsplit("/", 1)[1]
    stripe_stub.complete_checkout(session_id, "pm_usBankAccount_success")

    saved = gateway.saved_method_from_checkout_session(session_id)

    assert (saved.kind, saved.brand, saved.last4, saved.exp_year) == \
        ("bank_account", "Checking", "6789", None)


def test_the_sdk_retries_a_checkout_session_with_its_own_key(gateway, stripe_stub):
    stripe_stub.fail_next("500")

    gateway.create_setup_checkout(customer_id="cus_member", account_id=12,
                                  success_url="https://a.test/ok", cancel_url="https://a.test/no")

    keys = [r.idempotency_key for r in stripe_stub.requests_to("POST", "/v1/checkout/sessions")]
    assert len(keys) == 2 and keys[0] == keys[1] and keys[0]
    assert len(stripe_stub.sessions) == 1
