"""Payments taken on another party's form (Telegram's card form): checked before the charge,
recorded exactly once after it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from services import payments
from services.billing import account_summary, issue_invoices
from services.errors import InvalidAmount, NotAllowed, NotFound
from services.external_payments import check_external_payment, record_external_payment
from services.persistence.models import Payment, PaymentAllocation
from tests.factories import make_paying_member

PLANS = [("health", "Silver Health Plan", 41_250)]
OWED = 2 * 41_250  # November (past due) and December


@pytest.fixture
def member(svc):
    member = make_paying_member(svc, plans=PLANS)
    issue_invoices(svc, through=svc.today())
    return member


def draft(svc, member, amount=41_250):
    return payments.create_draft(svc, member.account_id, amount_cents=amount,
                                 method_id=member.method_ids["pm_card_visa"])


def allocated(svc, payment_id):
    with svc.uow() as uow:
        return uow.session.scalar(select(func.coalesce(func.sum(PaymentAllocation.amount_cents),
                                                       0))
                                  .where(PaymentAllocation.payment_id == payment_id))


def test_a_draft_the_member_owns_can_be_paid(svc, member):
    payment = draft(svc, member)
    check_external_payment(svc, member.account_id, payment.id, amount_cents=41_250)


def test_a_draft_with_another_amount_is_refused(svc, member):
    payment = draft(svc, member)
    with pytest.raises(NotAllowed, match="changed"):
        check_external_payment(svc, member.account_id, payment.id, amount_cents=40_000)


def test_someone_elses_draft_is_not_found(svc, member):
    payment = draft(svc, member)
    other = make_paying_member(svc, plans=PLANS)
    with pytest.raises(NotFound):
        check_external_payment(svc, other.account_id, payment.id, amount_cents=41_250)


def test_a_draft_already_paid_is_refused(svc, member):
    payment = draft(svc, member)
    payments.confirm_payment(svc, member.account_id, payment.id)
    with pytest.raises(NotAllowed, match="already"):
        check_external_payment(svc, member.account_id, payment.id, amount_cents=41_250)


def test_a_draft_for_more_than_is_now_owed_is_refused(svc, member):
    payment = draft(svc, member, OWED)
    payments.confirm_payment(svc, member.account_id, draft(svc, member, 41_250).id)
    with pytest.raises(InvalidAmount, match="more than you owe"):
        check_external_payment(svc, member.account_id, payment.id, amount_cents=OWED)


def test_recording_the_charge_pays_the_draft_once(svc, member, gateway):
    payment = draft(svc, member)
    recorded = record_external_payment(svc, member.account_id, payment.id,
                                       gateway_ref="ch_tg_1", amount_cents=41_250)
    again = record_external_payment(svc, member.account_id, payment.id,
                                    gateway_ref="ch_tg_1", amount_cents=41_250)
    assert (recorded.id, recorded.status, recorded.gateway_ref) == (payment.id, "succeeded",
                                                                    "ch_tg_1")
    assert recorded.source == "telegram" and recorded.method_id is None
    assert again.id == payment.id
    assert allocated(svc, payment.id) == 41_250
    assert account_summary(svc, member.account_id).total_due_cents == OWED - 41_250
    assert gateway.charges == {}, "the form took the money: our gateway is never asked"
    with svc.uow() as uow:
        assert uow.session.scalar(select(func.count(Payment.id))) == 1


def test_a_charge_for_a_draft_paid_another_way_is_still_recorded(svc, member):
    payment = draft(svc, member)
    payments.confirm_payment(svc, member.account_id, payment.id)  # the saved card, meanwhile
    recorded = record_external_payment(svc, member.account_id, payment.id,
                                       gateway_ref="ch_tg_2", amount_cents=41_250)
    assert recorded.id != payment.id and recorded.status == "succeeded"
    assert account_summary(svc, member.account_id).total_due_cents == 0
    again = record_external_payment(svc, member.account_id, payment.id,
                                    gateway_ref="ch_tg_2", amount_cents=41_250)
    assert again.id == recorded.id


# --- the card form against the chat (issue 16) ----------------------------------------------


def test_a_draft_opened_on_the_card_form_cannot_be_confirmed_in_the_chat(svc, member, gateway):
    payment = draft(svc, member)
    check_external_payment(svc, member.account_id, payment.id)  # the form is opened
    with pytest.raises(NotAllowed, match="open on the card form"):
        payments.confirm_payment(svc, member.account_id, payment.id)
    check_external_payment(svc, member.account_id, payment.id, amount_cents=41_250)
    assert gateway.charge_count == 0


def test_while_the_form_charges_another_chat_cannot_pay_the_same_bill(svc, member, gateway,
                                                                      clock):
    on_form, other = draft(svc, member, OWED), draft(svc, member, OWED)
    check_external_payment(svc, member.account_id, on_form.id, amount_cents=OWED)  # approved
    with pytest.raises(NotAllowed, match="going through right now"):
        payments.confirm_payment(svc, member.account_id, other.id)
    clock.advance(minutes=11)  # the form never reported a charge: its card was declined
    assert payments.confirm_payment(svc, member.account_id, other.id).status == "succeeded"
    assert gateway.charge_count == 1
