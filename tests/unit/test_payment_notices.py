"""Telling members about autopay results and payments that settled later."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from bot.scheduler import job_context, run_job
from bot.settings import Settings
from services import autopay, payments
from services.billing import issue_invoices
from services.payment_notices import plan_payment_notices
from services.persistence.models import Notification, PaymentMethod
from services.settlement import settle_payments
from tests.chat_fakes import RecordingSender
from tests.factories import make_paying_member

VISA, BANK = "pm_card_visa", "pm_bank_ok"
INSUFFICIENT = "pm_card_visa_chargeDeclinedInsufficientFunds"
LOST = "pm_card_visa_chargeDeclinedLostCard"


@pytest.fixture
def member(svc):
    """Covered from December: its first bill, $412.50, is due Mon, Nov 23."""
    member = make_paying_member(svc, coverage_start=dt.date(2026, 12, 1),
                                methods=(VISA, BANK, INSUFFICIENT, LOST))
    issue_invoices(svc, through=svc.today())
    return member


def on(svc, month: int, day: int) -> dt.date:
    svc.clock.set(dt.datetime(2026, month, day, 11, tzinfo=dt.UTC))  # 6 AM in Boston
    return dt.date(2026, month, day)


def enroll(svc, member, token):
    autopay.enroll(svc, member.account_id, method_id=member.method_ids[token],
                   amount_rule="full_balance", fixed_amount_cents=None, frequency="monthly",
                   days_before_due=3)


def charge_autopay(svc) -> str:
    return run_job("charge_autopay", job_context(svc, RecordingSender(), Settings()))


def notices(svc) -> list[tuple[str, str, list | None]]:
    with svc.uow() as uow:
        return [tuple(row) for row in uow.session.execute(
            select(Notification.kind, Notification.text, Notification.buttons)
            .order_by(Notification.id))]


def test_a_successful_autopay_charge_is_reported(svc, member):
    enroll(svc, member, VISA)
    on(svc, 11, 20)
    assert charge_autopay(svc) == "1 autopay results (1 succeeded), 1 notices planned"
    (kind, text, buttons), = notices(svc)
    assert kind == "autopay_result"
    assert text.startswith("Autopay paid $412.50 from Visa ending in 4242. Reference ")
    assert buttons == [{"title": "Payment history", "payload": "/payment_history"}]


def test_a_soft_decline_says_when_autopay_tries_again_with_troubleshooting_buttons(svc, member):
    enroll(svc, member, INSUFFICIENT)
    on(svc, 11, 20)
    charge_autopay(svc)
    (_, text, buttons), = notices(svc)
    assert text.startswith("Autopay couldn't pay $412.50 from Visa ending in 4244. "
                           "Not enough funds. ")
    assert text.endswith("Autopay will try again on Sun, Nov 22.")
    assert {"title": "Try another method", "payload": "/make_payment"} in buttons
    on(svc, 11, 22)
    charge_autopay(svc)  # the retry: declined again, and the due date is next
    assert notices(svc)[-1][1].endswith(
        "Autopay won't try again for this bill: please pay it by Mon, Nov 23.")
    assert len(notices(svc)) == 2


def test_a_hard_decline_is_not_retried_and_never_names_a_lost_card(svc, member):
    enroll(svc, member, LOST)
    on(svc, 11, 20)
    charge_autopay(svc)
    (_, text, buttons), = notices(svc)
    assert "lost" not in text.lower()
    assert "Your card issuer declined the payment" in text
    assert text.endswith("Autopay won't try again for this bill: please pay it by Mon, Nov 23.")
    assert buttons


def test_autopay_by_bank_is_reported_when_sent_and_when_settled(svc, gateway, member):
    enroll(svc, member, BANK)
    on(svc, 11, 20)
    charge_autopay(svc)
    assert notices(svc)[0][1].startswith(
        "Autopay sent $412.50 from Checking ending in 4243 to your bank. Bank payments take a "
        "few business days; it should settle by Fri, Nov 27.")
    gateway.settle(gateway.requests[-1].idempotency_key)
    report = settle_payments(svc, on(svc, 11, 27))
    assert (report.outcomes, report.notices) == ({"succeeded": 1}, 1)
    assert notices(svc)[1][1].startswith("Autopay paid $412.50 from Checking ending in 4243.")


def test_autopay_without_a_usable_method_is_reported(svc, member):
    enroll(svc, member, VISA)
    with svc.uow() as uow:
        uow.session.execute(update(PaymentMethod).values(removed_at=svc.now()))
        uow.commit()
    on(svc, 11, 20)
    charge_autopay(svc)
    (_, text, buttons), = notices(svc)
    assert text == ("Autopay couldn't pay your premium due Mon, Nov 23: the payment method it "
                    "uses has expired or was removed. Please pay now, and choose another method "
                    "for autopay.")
    assert [b["payload"] for b in buttons] == ["/make_payment", "/manage_payment_methods"]


def test_autopay_with_nothing_owed_says_so(svc, member):
    enroll(svc, member, VISA)
    draft = payments.create_draft(svc, member.account_id, amount_cents=41250,
                                  method_id=member.method_ids[VISA])
    payments.confirm_payment(svc, member.account_id, draft.id)
    on(svc, 11, 20)
    charge_autopay(svc)
    assert [text for _, text, _ in notices(svc)] == [
        "Autopay didn't charge you for December coverage: there's nothing to pay right now."]


def test_a_bank_payment_made_in_chat_is_reported_when_it_settles_or_fails(svc, gateway, member):
    for outcome in ("succeeded", "declined"):
        draft = payments.create_draft(svc, member.account_id, amount_cents=20000,
                                      method_id=member.method_ids[BANK])
        payments.confirm_payment(svc, member.account_id, draft.id)
        gateway.settle(gateway.requests[-1].idempotency_key, outcome)
    assert notices(svc) == []  # "processing" was said in the chat
    report = settle_payments(svc, on(svc, 11, 24))
    assert report.outcomes == {"succeeded": 1, "failed": 1}
    (_, settled, _), (_, returned, buttons) = notices(svc)
    assert settled.startswith("Your payment of $200.00 from Checking ending in 4243 went "
                              "through and is applied to your bill.")
    assert returned.startswith("Your payment of $200.00 from Checking ending in 4243 was "
                               "returned by your bank. Not enough money in the account.")
    assert buttons


def test_a_payment_whose_answer_timed_out_is_reported_when_settled(svc, gateway, member):
    draft = payments.create_draft(svc, member.account_id, amount_cents=41250,
                                  method_id=member.method_ids[VISA])
    gateway.fail_next(1)
    assert payments.confirm_payment(svc, member.account_id, draft.id).status == "pending"
    svc.clock.advance(minutes=3)
    settle_payments(svc, svc.today())
    (kind, text, _), = notices(svc)
    assert kind == "payment_result"
    assert text.startswith("Your payment of $412.50 from Visa ending in 4242 went through")


def test_a_card_payment_that_went_through_in_chat_is_not_repeated(svc, member):
    draft = payments.create_draft(svc, member.account_id, amount_cents=41250,
                                  method_id=member.method_ids[VISA])
    payments.confirm_payment(svc, member.account_id, draft.id)
    assert plan_payment_notices(svc) == 0


def test_an_outcome_reported_by_two_jobs_is_planned_once(svc, member):
    enroll(svc, member, VISA)
    on(svc, 11, 20)
    charge_autopay(svc)
    assert plan_payment_notices(svc) == 0
    assert settle_payments(svc, svc.today()).notices == 0
    assert len(notices(svc)) == 1
