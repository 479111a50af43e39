"""Reversals in the ledger, as a property: whatever refunds and disputes come, in whatever
order and amounts, no bill is paid below zero or above its amount, every bill's paid cents are
its allocations, and a payment never counts for more than was kept of it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from services import payments
from services.adapters.stripe_events import PaymentReversal
from services.billing import issue_invoices
from services.payment_reversals import apply_payment_reversal
from services.persistence.models import Invoice, Payment, PaymentAllocation
from services.webhook_events import ReceivedEvent
from tests.factories import make_paying_member

_event_ids = itertools.count(1)
_steps = st.lists(st.tuples(
    st.sampled_from(["refund", "dispute_opened", "dispute_won", "dispute_lost"]),
    st.integers(min_value=0, max_value=120_000)), max_size=6)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(premiums=st.tuples(st.integers(5_000, 60_000), st.integers(0, 9_000)),
       paid_share=st.floats(0.05, 1.3), steps=_steps)
def test_reversals_keep_the_ledger_whole(svc, premiums, paid_share, steps):
    plans = [("health", "Health", premiums[0])] + (
        [("dental", "Dental", premiums[1])] if premiums[1] else [])
    member = make_paying_member(svc, plans=plans, coverage_start=dt.date(2026, 11, 1))
    issue_invoices(svc, through=svc.today())
    owed = 2 * sum(premium for _, _, premium in plans)  # November and December
    generous = dataclasses.replace(svc, config=dataclasses.replace(
        svc.config, allow_overpayment=True))
    draft = payments.create_draft(generous, member.account_id,
                                  amount_cents=max(50, int(owed * paid_share)),
                                  method_id=member.method_ids["pm_card_visa"])
    payment = payments.confirm_payment(generous, member.account_id, draft.id)
    assert payment.status == "succeeded"

    refunded_total = 0
    for kind, cents in steps:
        if kind == "refund":  # Stripe reports the running total
            refunded_total = min(payment.amount_cents, refunded_total + cents)
            cents = refunded_total
        apply_payment_reversal(svc, PaymentReversal(payment.gateway_ref, kind, cents),
                               event=ReceivedEvent(f"evt_{next(_event_ids)}", kind))
        assert_whole(svc, payment.id, member.enrollment_id)


def assert_whole(svc, payment_id: int, enrollment_id: int) -> None:
    with svc.uow() as uow:
        session = uow.session
        payment = session.get(Payment, payment_id)
        kept = payment.amount_cents - payment.refunded_cents - payment.disputed_cents
        allocated = session.scalar(select(func.coalesce(func.sum(
            PaymentAllocation.amount_cents), 0)).where(PaymentAllocation.payment_id == payment_id))
        assert payment.refunded_cents >= 0 and payment.disputed_cents >= 0
        assert 0 <= allocated <= kept <= payment.amount_cents
        for invoice in session.scalars(select(Invoice).where(
                Invoice.enrollment_id == enrollment_id)):
            on_it = session.scalar(select(func.coalesce(func.sum(
                PaymentAllocation.amount_cents), 0)).where(
                    PaymentAllocation.invoice_id == invoice.id))
            assert 0 <= invoice.paid_cents <= invoice.amount_cents
            assert invoice.paid_cents == on_it
