# ruff: noqa: F811 - the fixtures are test_stripe_webhooks' own, imported below
"""Refunds, disputes and failed bank verifications from Stripe's webhooks (SQLite and
PostgreSQL): a premium taken back reopens what it paid — the ledger shows the reversal, the
grace clock counts from the bill's own due date — the member is told in plain words, support
gets a request, and each event is applied once."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import func, select

from services.billing import account_summary
from services.grace import grace_status
from services.ledger import outstanding
from services.member_language import save_language
from services.method_setup import start_method_setup
from services.persistence.models import (
    Account,
    AuditEvent,
    Invoice,
    Notification,
    PaymentAllocation,
    SupportRequest,
    WebhookEvent,
)

from .test_stripe_webhooks import (  # noqa: F401 - fixtures
    BANK,
    PREMIUM,
    VISA,
    client,
    deliver,
    member,
    notifier,
    paid_on_bills,
    pay,
    payment_now,
    stripe_stub,
    svc,
)

BANK_NOT_VERIFIED = ("We couldn't verify the bank account you added, so it wasn't saved and "
                     "nothing was charged. Please add it again and check the routing and "
                     "account numbers with your bank, or add a card instead.")


def rows(svc, model, *conditions):
    with svc.uow() as uow:
        return list(uow.session.scalars(select(model).where(*conditions).order_by(model.id)))


def notices(svc, kind: str = "payment_reversal") -> list[Notification]:
    return rows(svc, Notification, Notification.kind == kind)


def allocations(svc, payment_id: int) -> list[int]:
    with svc.uow() as uow:
        return list(uow.session.scalars(select(PaymentAllocation.amount_cents).where(
            PaymentAllocation.payment_id == payment_id).order_by(PaymentAllocation.id)))


@pytest.fixture
def paid(svc, member):
    """A card premium that went through and paid November's bill."""
    payment = pay(svc, member, VISA)
    assert payment.status == "succeeded" and paid_on_bills(svc) == PREMIUM
    return payment


def test_a_refund_reopens_the_bill_and_the_member_and_support_are_told(
        client, svc, member, stripe_stub, paid):
    event = stripe_stub.refund(paid.gateway_ref)

    assert [deliver(client, svc, event).status_code for _ in range(2)] == [200, 200]

    payment = payment_now(svc, paid.id)
    assert (payment.status, payment.refunded_cents, payment.disputed_cents) == (
        "succeeded", PREMIUM, 0)
    assert paid_on_bills(svc) == 0
    assert allocations(svc, paid.id) == [PREMIUM, -PREMIUM]  # the reversal, beside the payment
    [notice] = notices(svc)
    assert notice.dedupe_key == f"reversal:{event['id']}"
    assert notice.text == (f"We refunded $412.50 of your payment {paid.reference} to you. That "
                           "amount no longer counts toward your bills. You now owe $825.00; "
                           "please pay it to keep your coverage.")
    assert [b["payload"] for b in notice.buttons] == ["/make_payment", "/payment_history"]
    [request] = rows(svc, SupportRequest)
    assert (request.topic, request.payment_reference, request.account_id) == (
        "payment_refunded", paid.reference, member.account_id)
    [audited] = rows(svc, AuditEvent, AuditEvent.kind == "payment_refunded")
    assert audited.detail["amount_cents"] == PREMIUM and audited.detail["event_id"] == event["id"]
    assert [e.status for e in payment_now_events(svc, paid.id)][-1] == "refunded"


def payment_now_events(svc, payment_id):
    from services.persistence.models import PaymentEvent
    return rows(svc, PaymentEvent, PaymentEvent.payment_id == payment_id)


def test_the_grace_clock_counts_from_the_reopened_bills_due_date(client, svc, member,
                                                                stripe_stub, paid):
    deliver(client, svc, stripe_stub.refund(paid.gateway_ref))

    with svc.uow() as uow:
        account = uow.session.get(Account, member.account_id)
        items = outstanding(uow.session, account_id=account.id,
                            enrollment_id=account.enrollment_id)
        november = uow.session.scalar(select(Invoice).where(
            Invoice.coverage_month == dt.date(2026, 11, 1)))
    status = grace_status(svc.policy, "tax_credit", items, svc.today())
    assert status.first_unpaid_month == dt.date(2026, 11, 1)
    assert status.past_due_since == november.due_date + dt.timedelta(days=1)
    assert status.past_due_cents == PREMIUM


def test_partial_refunds_take_back_only_what_is_new(client, svc, member, stripe_stub, paid):
    first = stripe_stub.refund(paid.gateway_ref, 10_000)
    second = stripe_stub.refund(paid.gateway_ref, 5_000)

    for event in (first, second, first):
        assert deliver(client, svc, event).status_code == 200

    assert payment_now(svc, paid.id).refunded_cents == 15_000
    assert paid_on_bills(svc) == PREMIUM - 15_000
    assert len(notices(svc)) == 2


def test_a_dispute_takes_the_premium_back_until_it_is_won(client, svc, member, stripe_stub,
                                                          paid):
    opened = stripe_stub.dispute(paid.gateway_ref)
    assert deliver(client, svc, opened).status_code == 200
    assert paid_on_bills(svc) == 0
    assert payment_now(svc, paid.id).disputed_cents == PREMIUM
    assert "disputed your payment" in notices(svc)[0].text

    won = stripe_stub.close_dispute(opened["data"]["object"]["id"], won=True)
    assert deliver(client, svc, won).status_code == 200

    assert payment_now(svc, paid.id).disputed_cents == 0
    assert paid_on_bills(svc) == PREMIUM
    assert allocations(svc, paid.id) == [PREMIUM, -PREMIUM, PREMIUM]
    assert "counts toward your bills again" in notices(svc)[1].text
    # One open request per member: the outcome is added to the one the dispute opened.
    [request] = rows(svc, SupportRequest)
    assert request.topic == "payment_disputed"
    assert any(line.startswith("-- asked again: payment_dispute_won")
               for line in request.transcript)


def test_a_lost_dispute_leaves_the_bill_open(client, svc, member, stripe_stub, paid):
    opened = stripe_stub.dispute(paid.gateway_ref)
    deliver(client, svc, opened)

    lost = stripe_stub.close_dispute(opened["data"]["object"]["id"], won=False)
    assert deliver(client, svc, lost).status_code == 200

    assert paid_on_bills(svc) == 0
    assert payment_now(svc, paid.id).disputed_cents == PREMIUM
    assert "your bank kept the $412.50" in notices(svc)[1].text


def test_a_bank_debit_returned_as_unauthorized_after_it_settled_reopens_the_bill(
        client, svc, member, stripe_stub):
    payment = pay(svc, member, BANK)
    deliver(client, svc, stripe_stub.settle(payment.gateway_ref))
    assert paid_on_bills(svc) == PREMIUM

    returned = stripe_stub.dispute(payment.gateway_ref, reason="debit_not_authorized")
    assert deliver(client, svc, returned).status_code == 200

    assert paid_on_bills(svc) == 0
    summary = account_summary(svc, member.account_id)
    assert (summary.total_due_cents, summary.credit_cents) == (2 * PREMIUM, 0)


def test_a_dispute_inquiry_moves_no_money(client, svc, member, stripe_stub, paid):
    inquiry = stripe_stub.dispute(paid.gateway_ref, status="warning_needs_response")

    assert deliver(client, svc, inquiry).status_code == 200

    assert paid_on_bills(svc) == PREMIUM and notices(svc) == []


def test_a_refund_of_a_payment_healthpay_never_made_is_recorded_and_ignored(
        client, svc, member, stripe_stub, paid):
    event = stripe_stub.refund(paid.gateway_ref)
    event["data"]["object"]["payment_intent"] = "pi_elsewhere"

    assert deliver(client, svc, event).status_code == 200

    assert paid_on_bills(svc) == PREMIUM and notices(svc) == []
    assert len(rows(svc, WebhookEvent)) == 1


def test_a_failed_bank_verification_tells_the_member_what_to_do(client, svc, member,
                                                              stripe_stub):
    start_method_setup(svc, member.account_id)
    [session] = stripe_stub.sessions.values()
    event = stripe_stub.fail_setup(session["id"])

    assert [deliver(client, svc, event).status_code for _ in range(2)] == [200, 200]

    [notice] = notices(svc, "method_setup_failed")
    assert (notice.account_id, notice.text) == (member.account_id, BANK_NOT_VERIFIED)
    assert notice.buttons == [{"title": "Add a card or bank account",
                               "payload": "/manage_payment_methods"}]
    with svc.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.kind == "method_setup_failed")) == 1


def test_a_refund_comes_off_credit_first_then_the_latest_bill(client, svc, member,
                                                              stripe_stub):
    generous = dataclasses.replace(svc, config=dataclasses.replace(svc.config,
                                                                   allow_overpayment=True))
    payment = pay(generous, member, VISA, amount=2 * PREMIUM + 7_500)  # November, December
    deliver(client, svc, stripe_stub.refund(payment.gateway_ref, 5_000))

    assert paid_on_bills(svc) == 2 * PREMIUM
    assert "It came from your credit" in notices(svc)[0].text

    deliver(client, svc, stripe_stub.refund(payment.gateway_ref, 10_000))

    with svc.uow() as uow:
        paid_by_month = dict(uow.session.execute(
            select(Invoice.coverage_month, Invoice.paid_cents)).all())
    assert paid_by_month == {dt.date(2026, 11, 1): PREMIUM,
                             dt.date(2026, 12, 1): PREMIUM - 7_500}
    assert account_summary(svc, member.account_id).credit_cents == 0


def test_a_refund_ahead_of_the_payments_success_is_asked_for_again(client, svc, member,
                                                                   stripe_stub):
    payment = pay(svc, member, BANK)  # processing: Stripe's success event not here yet
    succeeded = stripe_stub.settle(payment.gateway_ref)
    refund = stripe_stub.refund(payment.gateway_ref)

    assert deliver(client, svc, refund).status_code == 503
    assert rows(svc, WebhookEvent) == []

    assert deliver(client, svc, succeeded).status_code == 200
    assert deliver(client, svc, refund).status_code == 200
    assert payment_now(svc, payment.id).refunded_cents == PREMIUM
    assert paid_on_bills(svc) == 0


def test_a_spanish_members_checkout_comes_back_to_spanish_pages(client, svc, member,
                                                                 stripe_stub):
    save_language(svc, member.account_id, "es")
    start_method_setup(svc, member.account_id)
    [session] = stripe_stub.sessions.values()
    assert session["success_url"] == "http://127.0.0.1:8000/methods/setup/done?lang=es"
    assert session["cancel_url"] == "http://127.0.0.1:8000/methods/setup/cancelled?lang=es"
    done = client.get("/methods/setup/done?lang=es")
    assert '<html lang="es">' in done.text and "Su método de pago quedó guardado." in done.text
    cancelled = client.get("/methods/setup/cancelled?lang=es")
    assert "No se guardó nada" in cancelled.text
    unknown = client.get("/methods/setup/done?lang=zz")  # a typed URL: English
    assert '<html lang="en">' in unknown.text and "Your payment method is saved." in unknown.text
