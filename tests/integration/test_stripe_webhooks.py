"""POST /stripe/webhook on SQLite and PostgreSQL: payments and saved methods updated from
Stripe's events (from the Stripe stub, signed as Stripe signs them), each event applied once,
never backwards, and the member told in chat: a payment's outcome through the outbox, a saved
method through the notifier."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.http.app import create_app
from bot.settings import Settings
from services import payments
from services.adapters.stripe_events import sign_payload
from services.billing import issue_invoices
from services.method_setup import start_method_setup
from services.payment_methods import remove_method
from services.persistence.models import (
    Account,
    Invoice,
    Notification,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    WebhookEvent,
)
from tests.conftest import build_services
from tests.factories import make_paying_member
from tests.fakes import RecordingNotifier
from tests.stripe_contract import shaped
from tests.stripe_stub import StripeStub, stub_gateway

SECRET = "whsec_test_webhooks"
BANK, BANK_NO_FUNDS, VISA = ("pm_usBankAccount_success", "pm_usBankAccount_insufficientFunds",
                             "pm_card_visa")
PREMIUM = 41_250


@pytest.fixture
def stripe_stub():
    with StripeStub() as stub:
        yield stub


@pytest.fixture
def notifier():
    return RecordingNotifier()


@pytest.fixture
def svc(engine, stripe_stub, clock, policy, secrets, notifier):
    return build_services(engine, gateway=stub_gateway(stripe_stub), clock=clock, policy=policy,
                          secrets=secrets, notifier=notifier)


def client_for(svc, secret: str = SECRET) -> TestClient:
    settings = Settings(_env_file=None, PAYMENT_GATEWAY="stripe", STRIPE_WEBHOOK_SECRET=secret)
    return TestClient(create_app(SimpleNamespace(settings=settings, services=svc)))


@pytest.fixture
def client(svc):
    with client_for(svc) as client:
        yield client


@pytest.fixture
def member(svc):
    member = make_paying_member(svc, coverage_start=dt.date(2026, 11, 1),
                                methods=(BANK, BANK_NO_FUNDS, VISA))
    issue_invoices(svc, through=svc.today())
    return member


def pay(svc, member, token: str, amount: int = PREMIUM) -> Payment:
    draft = payments.create_draft(svc, member.account_id, amount_cents=amount,
                                  method_id=member.method_ids[token])
    return payments.confirm_payment(svc, member.account_id, draft.id)


def deliver(client, svc, event: dict, *, secret: str = SECRET,
            signed_at: dt.datetime | None = None):
    payload = json.dumps(event).encode()
    timestamp = int((signed_at or svc.now()).timestamp())
    return client.post("/stripe/webhook", content=payload, headers={
        "Stripe-Signature": sign_payload(payload, secret, timestamp),
        "Content-Type": "application/json",
    })


def payment_now(svc, payment_id: int) -> Payment:
    with svc.uow() as uow:
        return uow.session.get(Payment, payment_id)


def paid_on_bills(svc) -> int:
    with svc.uow() as uow:
        return uow.session.scalar(select(func.sum(Invoice.paid_cents)))


def payment_notices(svc) -> list[Notification]:
    with svc.uow() as uow:
        return list(uow.session.scalars(
            select(Notification).where(Notification.kind == "payment_result")))


def count(svc, model) -> int:
    with svc.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def test_a_settled_bank_debit_is_applied_and_the_member_told(client, svc, member, stripe_stub):
    payment = pay(svc, member, BANK)
    assert payment.status == "processing"
    assert paid_on_bills(svc) == 0

    response = deliver(client, svc, stripe_stub.settle(payment.gateway_ref))

    assert response.status_code == 200
    settled = payment_now(svc, payment.id)
    assert settled.status == "succeeded" and settled.settled_at == svc.now()
    assert paid_on_bills(svc) == PREMIUM
    [notice] = payment_notices(svc)
    assert (notice.account_id, notice.dedupe_key) == (member.account_id,
                                                      f"payment:{payment.id}:succeeded")
    assert payment.reference in notice.text and "went through" in notice.text


def test_a_wrong_secret_is_refused_and_changes_nothing(client, svc, member, stripe_stub):
    payment = pay(svc, member, BANK)

    response = deliver(client, svc, stripe_stub.settle(payment.gateway_ref),
                       secret="whsec_someone_else")

    assert response.status_code == 400
    assert payment_now(svc, payment.id).status == "processing"
    assert count(svc, WebhookEvent) == 0 and payment_notices(svc) == []


@pytest.mark.parametrize("seconds", [-301, 301])
def test_a_stale_or_future_signature_is_refused(client, svc, member, stripe_stub, seconds):
    payment = pay(svc, member, BANK)
    event = stripe_stub.settle(payment.gateway_ref)

    response = deliver(client, svc, event, signed_at=svc.now() + dt.timedelta(seconds=seconds))

    assert response.status_code == 400
    assert payment_now(svc, payment.id).status == "processing"
    assert count(svc, WebhookEvent) == 0 and payment_notices(svc) == []


def test_a_signature_within_the_tolerance_is_accepted(client, svc, member, stripe_stub):
    payment = pay(svc, member, BANK)

    response = deliver(client, svc, stripe_stub.settle(payment.gateway_ref),
                       signed_at=svc.now() - dt.timedelta(seconds=299))

    assert response.status_code == 200
    assert payment_now(svc, payment.id).status == "succeeded"


def test_an_unsigned_or_tampered_body_is_refused(client, svc, member, stripe_stub):
    payment = pay(svc, member, BANK)
    event = stripe_stub.settle(payment.gateway_ref)
    payload = json.dumps(event).encode()
    header = sign_payload(payload, SECRET, int(svc.now().timestamp()))

    unsigned = client.post("/stripe/webhook", content=payload)
    tampered = client.post("/stripe/webhook", content=payload.replace(b"41250", b"1"),
                           headers={"Stripe-Signature": header})

    assert (unsigned.status_code, tampered.status_code) == (400, 400)
    assert payment_now(svc, payment.id).status == "processing"


def test_a_replayed_event_is_applied_once(client, svc, member, stripe_stub):
    payment = pay(svc, member, BANK)
    event = stripe_stub.settle(payment.gateway_ref)

    answers = [deliver(client, svc, event).status_code for _ in range(3)]

    assert answers == [200, 200, 200]
    assert payment_now(svc, payment.id).status == "succeeded"
    with svc.uow() as uow:
        allocated = uow.session.scalar(select(func.sum(PaymentAllocation.amount_cents)).where(
            PaymentAllocation.payment_id == payment.id))
        [recorded] = uow.session.scalars(select(WebhookEvent)).all()
    assert allocated == PREMIUM
    assert (recorded.event_id, recorded.payment_id) == (event["id"], payment.id)
    assert len(payment_notices(svc)) == 1


def test_events_out_of_order_never_move_a_payment_back(client, svc, member, stripe_stub):
    payment = pay(svc, member, BANK)
    processing = stripe_stub.event("payment_intent.processing",
                                   stripe_stub.intents[payment.gateway_ref])
    succeeded = stripe_stub.settle(payment.gateway_ref)

    assert deliver(client, svc, succeeded).status_code == 200
    assert deliver(client, svc, processing).status_code == 200

    assert payment_now(svc, payment.id).status == "succeeded"
    assert count(svc, WebhookEvent) == 2
    assert [n.dedupe_key for n in payment_notices(svc)] == [f"payment:{payment.id}:succeeded"]


def test_a_returned_bank_debit_fails_and_the_member_is_told_why(client, svc, member,
                                                               stripe_stub):
    payment = pay(svc, member, BANK_NO_FUNDS)

    response = deliver(client, svc, stripe_stub.settle(payment.gateway_ref))

    assert response.status_code == 200
    failed = payment_now(svc, payment.id)
    assert (failed.status, failed.decline_code) == ("failed", "insufficient_funds")
    assert paid_on_bills(svc) == 0
    [notice] = payment_notices(svc)
    assert (notice.account_id, notice.dedupe_key) == (member.account_id,
                                                      f"payment:{payment.id}:failed")
    assert payment.reference in notice.text and "returned by your bank" in notice.text
    assert "insufficient_funds" not in notice.text
    assert notice.buttons and all(b["payload"].startswith("/") for b in notice.buttons)


def test_a_payment_whose_answer_was_lost_is_found_by_its_key(client, svc, member, stripe_stub):
    # Every attempt reaches Stripe, and every answer is lost: pending, with no reference.
    stripe_stub.fail_next("drop_after", times=3)
    payment = pay(svc, member, VISA)
    assert (payment.status, payment.gateway_ref) == ("pending", None)
    [intent] = stripe_stub.intents.values()

    response = deliver(client, svc, stripe_stub.event("payment_intent.succeeded", intent))

    assert response.status_code == 200
    settled = payment_now(svc, payment.id)
    assert (settled.status, settled.gateway_ref) == ("succeeded", intent["id"])
    assert [n.dedupe_key for n in payment_notices(svc)] == [f"payment:{payment.id}:succeeded"]


def test_an_event_for_a_payment_healthpay_never_made_is_recorded_and_ignored(
        client, svc, member, stripe_stub):
    stranger = shaped("payment_intent", {"id": "pi_elsewhere", "status": "succeeded"})

    response = deliver(client, svc, stripe_stub.event("payment_intent.succeeded", stranger))

    assert response.status_code == 200
    assert count(svc, WebhookEvent) == 1 and payment_notices(svc) == []


def test_events_of_no_interest_get_200_and_change_nothing(client, svc, stripe_stub):
    response = deliver(client, svc, stripe_stub.event("customer.created",
                                                         shaped("customer", {"id": "cus_1"})))

    assert response.status_code == 200
    assert count(svc, WebhookEvent) == 0


def test_a_finished_checkout_adds_the_method_once_and_the_member_is_told(
        client, svc, member, stripe_stub, notifier):
    link = start_method_setup(svc, member.account_id)
    [session] = stripe_stub.sessions.values()
    assert link == session["url"]
    assert session["success_url"] == "http://127.0.0.1:8000/methods/setup/done"
    completed = stripe_stub.complete_checkout(session["id"], "pm_card_mastercard")
    setup_intent = stripe_stub.setup_intents[session["setup_intent"]]
    succeeded = stripe_stub.event("setup_intent.succeeded", setup_intent)

    assert deliver(client, svc, completed).status_code == 200
    assert deliver(client, svc, succeeded).status_code == 200
    assert deliver(client, svc, completed).status_code == 200

    with svc.uow() as uow:
        added = uow.session.scalars(select(PaymentMethod).where(
            PaymentMethod.account_id == member.account_id,
            PaymentMethod.gateway_token == "pm_card_mastercard")).all()
        customer = uow.session.get(Account, member.account_id).gateway_customer_id
    assert [(m.kind, m.brand, m.last4, m.exp_year) for m in added] == [
        ("card", "Mastercard", "4444", 2034)]
    assert customer == session["customer"]
    assert notifier.sent == [(
        member.account_id, "Your Mastercard ending in 4444 is saved. Would you like to pay now?",
        [{"title": "Pay now", "payload": "/make_payment"},
         {"title": "Something else", "payload": "/help"}],
    )]


def test_a_setup_naming_another_customer_adds_nothing(client, svc, member, stripe_stub,
                                                      notifier):
    start_method_setup(svc, member.account_id)
    [session] = stripe_stub.sessions.values()
    event = stripe_stub.complete_checkout(session["id"])
    event["data"]["object"]["customer"] = "cus_someone_else"

    assert deliver(client, svc, event).status_code == 200

    with svc.uow() as uow:
        tokens = uow.session.scalars(select(PaymentMethod.gateway_token).where(
            PaymentMethod.account_id == member.account_id)).all()
    assert sorted(tokens) == sorted([BANK, BANK_NO_FUNDS, VISA])
    assert notifier.sent == []


def test_stripe_not_answering_asks_stripe_to_send_again(client, svc, member, stripe_stub):
    start_method_setup(svc, member.account_id)
    [session] = stripe_stub.sessions.values()
    event = stripe_stub.complete_checkout(session["id"])
    stripe_stub.fail_next("500", times=3)

    assert deliver(client, svc, event).status_code == 503
    assert count(svc, WebhookEvent) == 0

    assert deliver(client, svc, event).status_code == 200
    assert count(svc, WebhookEvent) == 1


def test_without_a_webhook_secret_events_are_refused_until_one_is_set(svc, member):
    with client_for(svc, secret="") as client:
        response = client.post("/stripe/webhook", content=b"{}")

    assert response.status_code == 503
    assert "STRIPE_WEBHOOK_SECRET" in response.json()["error"]


def test_a_replayed_setup_event_does_not_bring_back_a_removed_method(client, svc, member,
                                                                    stripe_stub, notifier):
    start_method_setup(svc, member.account_id)
    [session] = stripe_stub.sessions.values()
    completed = stripe_stub.complete_checkout(session["id"], "pm_card_mastercard")
    assert deliver(client, svc, completed).status_code == 200
    with svc.uow() as uow:
        method = uow.session.scalar(select(PaymentMethod).where(
            PaymentMethod.gateway_token == "pm_card_mastercard"))
    remove_method(svc, member.account_id, method.id)

    assert deliver(client, svc, completed).status_code == 200

    with svc.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(PaymentMethod).where(
            PaymentMethod.gateway_token == "pm_card_mastercard",
            PaymentMethod.removed_at.is_(None))) == 0
    assert len(notifier.sent) == 1
