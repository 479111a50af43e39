# ruff: noqa: F811 - the fixtures are test_stripe_webhooks' own, imported below
"""Only an answer that proves nothing was charged fails a payment (SQLite and PostgreSQL).

A revoked or restricted API key (401/403), a failing search and an idempotency error say
nothing about the payment: it stays pending, operators are alerted (an error-level log line
and healthpay_gateway_alerts_total), the webhook answers 503 so Stripe delivers again, and the
next reconciliation settles it. A charge's parameters are stored with the payment, so a retry
after the settings changed sends what the first try sent.
"""

from __future__ import annotations

import dataclasses
import logging

import pytest
from sqlalchemy import func, select

from bot import metrics
from services import payments
from services.persistence.models import Payment, PaymentMethod, WebhookEvent
from tests.stripe_stub import decline_token

from .test_stripe_webhooks import (  # noqa: F401 - fixtures
    BANK,
    VISA,
    client,
    deliver,
    member,
    notifier,
    pay,
    payment_now,
    stripe_stub,
    svc,
)


def alerts_counted(reason: str) -> float:
    return metrics.REGISTRY.get_sample_value(
        "healthpay_gateway_alerts_total", {"gateway": "stripe", "reason": reason}) or 0.0


@pytest.fixture(autouse=True)
def counting():
    metrics.install()


def charged_but_unanswered(svc, member, stripe_stub):
    """A card payment Stripe charged whose every answer was lost: pending, no reference."""
    stripe_stub.fail_next("drop_after", times=3)
    payment = pay(svc, member, VISA)
    assert (payment.status, payment.gateway_ref) == ("pending", None)
    [intent] = stripe_stub.intents.values()
    assert intent["status"] == "succeeded"
    return payment


@pytest.mark.parametrize(("fault", "reason"), [("401", "authentication"),
                                               ("403", "permission"),
                                               ("400", "search_failed")])
def test_a_charged_payment_is_never_failed_on_an_answer_that_proves_nothing(
        svc, member, stripe_stub, caplog, fault, reason):
    payment = charged_but_unanswered(svc, member, stripe_stub)
    before = alerts_counted(reason)
    stripe_stub.fail_next(fault)

    with caplog.at_level(logging.ERROR, logger="services.gateway_alerts"):
        checked = payments.reconcile_payment(svc, payment.id)

    assert checked.status == "pending"
    assert alerts_counted(reason) == before + 1
    assert [r.levelno for r in caplog.records if r.name == "services.gateway_alerts"] == \
        [logging.ERROR]
    assert payments.reconcile_payment(svc, payment.id).status == "succeeded"


def test_a_retry_after_the_settings_changed_sends_the_first_request(svc, member, stripe_stub):
    payment = charged_but_unanswered(svc, member, stripe_stub)
    stripe_stub.search_lags = True  # so reconciliation charges again with the same key
    renamed = dataclasses.replace(
        svc, policy=dataclasses.replace(svc.policy, name="Renamed Connector"),
        config=dataclasses.replace(svc.config, public_base_url="https://moved.example.test"))

    settled = payments.reconcile_payment(renamed, payment.id)

    assert settled.status == "succeeded"
    first, again = stripe_stub.requests_to("POST", "/v1/payment_intents")[-2:]
    assert again.params == first.params
    assert again.headers.get("idempotent-replayed") is None
    assert stripe_stub.intents_created == 1


def test_an_idempotency_error_keeps_the_payment_pending(svc, member, stripe_stub):
    payment = charged_but_unanswered(svc, member, stripe_stub)
    stripe_stub.search_lags = True
    # Another amount under the same key: what a changed request looks like to Stripe.
    with svc.uow() as uow:
        uow.session.get(Payment, payment.id).amount_cents += 1
        uow.commit()
    before = alerts_counted("idempotency")

    assert payments.reconcile_payment(svc, payment.id).status == "pending"
    assert alerts_counted("idempotency") == before + 1


def test_a_refused_first_charge_still_fails_at_once(svc, member, stripe_stub):
    """A 400 on a charge's parameters is proof: Stripe created nothing."""
    stripe_stub.fail_next("400")
    payment = payments.confirm_payment(svc, member.account_id, pay_draft(svc, member).id)

    assert payment.status == "failed"
    assert stripe_stub.intents_created == 0


def pay_draft(svc, member):
    return payments.create_draft(svc, member.account_id, amount_cents=5_000,
                                 method_id=member.method_ids[VISA])


def test_the_webhook_asks_stripe_to_send_again_while_the_key_is_refused(
        client, svc, member, stripe_stub):
    from services.method_setup import start_method_setup

    start_method_setup(svc, member.account_id)
    [session] = stripe_stub.sessions.values()
    event = stripe_stub.complete_checkout(session["id"])
    stripe_stub.fail_next("401")

    assert deliver(client, svc, event).status_code == 503
    with svc.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(WebhookEvent)) == 0

    assert deliver(client, svc, event).status_code == 200


def test_a_canceled_intent_fails_the_payment(client, svc, member, stripe_stub):
    payment = pay(svc, member, BANK)
    intent = stripe_stub.intents[payment.gateway_ref]
    intent.update(status="canceled", cancellation_reason="requested_by_customer")

    assert deliver(client, svc, stripe_stub.event("payment_intent.canceled", intent)) \
        .status_code == 200

    failed = payment_now(svc, payment.id)
    assert (failed.status, failed.decline_code) == ("failed", "canceled")


def test_a_decline_keeps_the_issuers_advice(svc, member, stripe_stub):
    stripe_stub.advice_codes[decline_token("generic_decline")] = "do_not_try_again"
    with svc.uow() as uow:
        uow.session.get(PaymentMethod, member.method_ids[VISA]).gateway_token = \
            decline_token("generic_decline")
        uow.commit()
    draft = pay_draft(svc, member)

    declined = payments.confirm_payment(svc, member.account_id, draft.id)

    assert (declined.status, declined.decline_code, declined.advice_code) == (
        "declined", "generic_decline", "do_not_try_again")
