"""Paying a premium: drafts, confirming exactly once, gateway outcomes, reconciliation, trace."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import func, select

from services import payments
from services.billing import account_summary, issue_invoices
from services.business_days import add_business_days
from services.context import ServiceConfig
from services.errors import (
    GatewayRequestError,
    InvalidAmount,
    InvalidInput,
    MethodUnusable,
    NotAllowed,
    NotFound,
)
from services.money import parse_amount
from services.payment_outcomes import UNANSWERED_NOTE
from services.persistence.models import AuditEvent, Invoice, PaymentAllocation, PaymentEvent
from services.references import is_valid_reference
from tests.concurrency import run_together
from tests.conftest import build_services
from tests.factories import make_paying_member

HEALTH_AND_DENTAL = [("health", "Silver Health Plan", 41_250), ("dental", "Family Dental", 3_500)]
TOTAL = 2 * (41_250 + 3_500)  # November (past due) and December, both plans
VISA, BANK = "pm_card_visa", "pm_bank_ok"
INSUFFICIENT = "pm_card_visa_chargeDeclinedInsufficientFunds"
THREE_DS = "pm_card_authenticationRequired"


@pytest.fixture
def member(svc):
    member = make_paying_member(svc, plans=HEALTH_AND_DENTAL, methods=(VISA, BANK, INSUFFICIENT,
                                                                       THREE_DS))
    issue_invoices(svc, through=svc.today())
    return member


def draft(svc, member, amount, token=VISA, **kwargs):
    return payments.create_draft(svc, member.account_id, amount_cents=amount,
                                 method_id=member.method_ids[token], **kwargs)


def pay(svc, member, amount, token=VISA, **kwargs):
    payment = draft(svc, member, amount, token, **kwargs)
    return payments.confirm_payment(svc, member.account_id, payment.id)


def paid_by_invoice(svc):
    with svc.uow() as uow:
        return [(i.coverage_month.month, i.plan.kind, i.paid_cents) for i in uow.session.scalars(
            select(Invoice).order_by(Invoice.coverage_month, Invoice.plan_id))]


def allocated_total(svc):
    with svc.uow() as uow:
        return uow.session.scalar(select(func.sum(PaymentAllocation.amount_cents))) or 0


def slowly(function, seconds=0.2):
    def wrapper(*args, **kwargs):
        result = function(*args, **kwargs)
        time.sleep(seconds)
        return result
    return wrapper


# --- drafts ---------------------------------------------------------------------------------


def test_draft_has_a_reference_and_a_key_derived_from_it_and_charges_nothing(svc, member, gateway):
    payment = draft(svc, member, 10_000)
    assert payment.status == "draft"
    assert is_valid_reference(payment.reference)
    assert payment.idempotency_key == f"hp-pay-{payment.reference}"
    assert payment.method.last4 == "4242"
    assert gateway.requests == []


@pytest.mark.parametrize("amount", [0, -100, 12.5, True])
def test_draft_refuses_amounts_that_are_not_positive_whole_cents(svc, member, amount):
    with pytest.raises(InvalidAmount):
        draft(svc, member, amount)


def test_draft_refuses_less_than_a_gateway_can_charge(svc, member):
    with pytest.raises(InvalidAmount, match=r"\$0\.50"):
        draft(svc, member, 49)
    assert draft(svc, member, 50).amount_cents == 50


def test_amounts_with_more_than_two_decimals_never_reach_a_draft(svc, member):
    with pytest.raises(InvalidAmount, match="two decimals"):
        draft(svc, member, parse_amount("120.505"))


def test_draft_refuses_more_than_the_configured_maximum(sqlite_engine, gateway, clock, policy,
                                                        secrets):
    svc = build_services(sqlite_engine, gateway=gateway, clock=clock, policy=policy,
                         secrets=secrets, config=ServiceConfig(max_payment_cents=50_000))
    member = make_paying_member(svc, plans=HEALTH_AND_DENTAL)
    issue_invoices(svc, through=svc.today())
    with pytest.raises(InvalidAmount, match=r"\$500\.00"):
        draft(svc, member, 50_001)
    assert draft(svc, member, 50_000).amount_cents == 50_000


def test_draft_refuses_more_than_the_balance(svc, member):
    with pytest.raises(InvalidAmount, match=r"\$895\.00"):
        draft(svc, member, TOTAL + 1)
    with pytest.raises(InvalidAmount, match=r"\$70\.00"):
        draft(svc, member, 7_001, plan_id=member.plan_ids["dental"])
    assert draft(svc, member, TOTAL).amount_cents == TOTAL


def test_overpayment_setting_allows_more_and_leaves_a_credit(sqlite_engine, gateway, clock,
                                                             policy, secrets):
    svc = build_services(sqlite_engine, gateway=gateway, clock=clock, policy=policy,
                         secrets=secrets, config=ServiceConfig(allow_overpayment=True))
    member = make_paying_member(svc, plans=HEALTH_AND_DENTAL)
    issue_invoices(svc, through=svc.today())
    assert pay(svc, member, TOTAL + 10_000).status == "succeeded"
    summary = account_summary(svc, member.account_id)
    assert (summary.total_due_cents, summary.credit_cents) == (0, 10_000)
    assert allocated_total(svc) == TOTAL


def test_nothing_owed_is_refused_with_a_reason(svc):
    member = make_paying_member(svc)  # no bills issued
    with pytest.raises(NotAllowed, match="don't owe anything"):
        draft(svc, member, 100)


def test_draft_needs_the_members_own_usable_method_and_plan(svc, member):
    other = make_paying_member(svc)
    with pytest.raises(NotFound):
        payments.create_draft(svc, member.account_id, amount_cents=100,
                              method_id=other.method_ids[VISA])
    with pytest.raises(NotFound):
        draft(svc, member, 100, plan_id=other.plan_ids["health"])
    expired = make_paying_member(svc, card_expiry=(10, 2026))
    issue_invoices(svc, through=svc.today())
    with pytest.raises(MethodUnusable):
        draft(svc, expired, 100)


# --- confirming -----------------------------------------------------------------------------


def test_confirm_applies_the_payment_to_the_oldest_bills_first(svc, member, gateway):
    payment = pay(svc, member, 41_250 + 3_500 + 10_000)
    assert payment.status == "succeeded" and payment.settled_at == svc.now()
    assert paid_by_invoice(svc) == [(11, "health", 41_250), (11, "dental", 3_500),
                                    (12, "health", 10_000), (12, "dental", 0)]
    request = gateway.requests[0]
    assert (request.idempotency_key, request.amount_cents, request.method_token,
            request.off_session) == (payment.idempotency_key, 54_750, VISA, False)


def test_a_payment_for_one_plan_pays_only_that_plan(svc, member):
    pay(svc, member, 5_000, plan_id=member.plan_ids["dental"])
    assert paid_by_invoice(svc) == [(11, "health", 0), (11, "dental", 3_500),
                                    (12, "health", 0), (12, "dental", 1_500)]


def test_a_second_confirm_of_the_same_draft_charges_once(svc, member, gateway):
    payment = draft(svc, member, 20_000)
    first = payments.confirm_payment(svc, member.account_id, payment.id)
    second = payments.confirm_payment(svc, member.account_id, payment.id)
    assert first.status == second.status == "succeeded"
    assert gateway.charge_count == 1 and len(gateway.requests) == 1
    assert allocated_total(svc) == 20_000


def test_racing_confirms_charge_once_and_allocate_once(svc, member, gateway, monkeypatch):
    payment = draft(svc, member, 20_000)
    # Hold every confirm between reading the draft and claiming it, so they all read "draft".
    monkeypatch.setattr(payments, "get_chargeable_method", slowly(payments.get_chargeable_method))
    results = run_together(*[lambda: payments.confirm_payment(svc, member.account_id,
                                                              payment.id)] * 4)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert gateway.charge_count == 1
    assert {request.idempotency_key for request in gateway.requests} == {payment.idempotency_key}
    assert allocated_total(svc) == 20_000
    with svc.uow() as uow:
        statuses = list(uow.session.scalars(select(PaymentEvent.status).where(
            PaymentEvent.payment_id == payment.id).order_by(PaymentEvent.id)))
    assert statuses == ["draft", "pending", "succeeded"]


def test_another_members_payment_is_not_found_like_a_missing_one(svc, member):
    payment = draft(svc, member, 1_000)
    other = make_paying_member(svc)
    with pytest.raises(NotFound) as theirs:
        payments.confirm_payment(svc, other.account_id, payment.id)
    with pytest.raises(NotFound) as missing:
        payments.confirm_payment(svc, other.account_id, 999_999)
    assert str(theirs.value) == str(missing.value)


def test_confirm_checks_the_balance_again(svc, member):
    first, second = draft(svc, member, TOTAL), draft(svc, member, TOTAL)
    payments.confirm_payment(svc, member.account_id, first.id)
    with pytest.raises(NotAllowed, match="don't owe anything"):
        payments.confirm_payment(svc, member.account_id, second.id)


def test_confirming_is_audited(svc, member):
    payment = pay(svc, member, 1_000)
    with svc.uow() as uow:
        events = list(uow.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    assert [e.kind for e in events] == ["payment_confirmed", "payment_succeeded"]
    assert events[1].detail["reference"] == payment.reference
    assert events[1].account_id == member.account_id


# --- outcomes -------------------------------------------------------------------------------


def test_a_decline_keeps_its_code_and_pays_nothing(svc, member):
    payment = pay(svc, member, 10_000, INSUFFICIENT)
    assert (payment.status, payment.decline_code) == ("declined", "insufficient_funds")
    assert allocated_total(svc) == 0
    assert payments.latest_declined_payment(svc, member.account_id).id == payment.id


def test_3d_secure_leaves_the_action_url(svc, member):
    payment = pay(svc, member, 10_000, THREE_DS)
    assert payment.status == "requires_action" and payment.action_url


def test_timeout_before_the_charge_stays_pending_then_reconcile_charges_once(svc, member,
                                                                              gateway):
    gateway.fail_next(1)
    payment = pay(svc, member, 10_000)
    assert payment.status == "pending" and gateway.charge_count == 0
    assert payments.pending_payments(svc, older_than=dt.timedelta(0)) == [payment.id]
    settled = payments.reconcile_payment(svc, payment.id)
    assert settled.status == "succeeded" and gateway.charge_count == 1
    assert payments.reconcile_payment(svc, payment.id).status == "succeeded"
    assert gateway.charge_count == 1 and allocated_total(svc) == 10_000


def test_timeout_after_the_charge_is_settled_without_charging_again(svc, member, gateway):
    gateway.fail_next(1, charge_then_fail=True)
    payment = pay(svc, member, 10_000)
    assert payment.status == "pending" and gateway.charge_count == 1
    trace = payments.trace_payment(svc, member.account_id, payment.reference)
    assert trace.timeline[-1].note == UNANSWERED_NOTE
    # The member taps "pay" again: the gateway is asked about the same key, not charged anew.
    again = payments.confirm_payment(svc, member.account_id, payment.id)
    assert again.status == "succeeded"
    assert len(gateway.requests) == 1 and allocated_total(svc) == 10_000


def test_a_request_the_gateway_refuses_fails_instead_of_staying_pending(svc, member, gateway,
                                                                      monkeypatch):
    def refuse(request):
        raise GatewayRequestError("amount_too_small")

    monkeypatch.setattr(gateway, "charge", refuse)
    payment = pay(svc, member, 10_000)
    assert payment.status == "failed"
    assert payments.pending_payments(svc, older_than=dt.timedelta(0)) == []
    assert account_summary(svc, member.account_id).total_due_cents == TOTAL


def test_pending_payments_wait_before_reconciliation(svc, member, gateway, clock):
    gateway.fail_next(1)
    payment = pay(svc, member, 10_000)
    assert payments.pending_payments(svc) == []
    clock.advance(minutes=3)
    assert payments.pending_payments(svc) == [payment.id]


def test_bank_payment_processes_then_settles_through_reconciliation(svc, member, gateway):
    payment = pay(svc, member, 20_000, BANK)
    assert payment.status == "processing"
    # Tuesday, November 17th + 4 business days (Veterans Day is already past).
    assert payment.expected_settlement_on == dt.date(2026, 11, 23)
    summary = account_summary(svc, member.account_id)
    assert (summary.total_due_cents, summary.pending_cents) == (TOTAL - 20_000, 20_000)
    assert allocated_total(svc) == 0
    assert payments.processing_payments(svc, as_of=dt.date(2026, 11, 22)) == []
    assert payments.processing_payments(svc, as_of=dt.date(2026, 11, 23)) == [payment.id]
    assert payments.reconcile_payment(svc, payment.id).status == "processing"
    gateway.settle(payment.idempotency_key)
    assert payments.reconcile_payment(svc, payment.id).status == "succeeded"
    assert allocated_total(svc) == 20_000
    assert account_summary(svc, member.account_id).pending_cents == 0


def test_a_returned_bank_payment_fails_and_the_balance_reopens(svc, member, gateway):
    payment = pay(svc, member, 20_000, BANK)
    gateway.settle(payment.idempotency_key, "declined")
    failed = payments.reconcile_payment(svc, payment.id)
    assert (failed.status, failed.decline_code) == ("failed", "insufficient_funds")
    summary = account_summary(svc, member.account_id)
    assert (summary.total_due_cents, summary.pending_cents) == (TOTAL, 0)


def test_expected_settlement_skips_thanksgiving_and_the_weekend(svc, member, clock):
    clock.set(dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC))  # Tuesday before Thanksgiving
    payment = pay(svc, member, 20_000, BANK)
    # Wed 25, (Thanksgiving 26), Fri 27, (weekend), Mon 30, Tue Dec 1.
    assert payment.expected_settlement_on == dt.date(2026, 12, 1)


@pytest.mark.parametrize("start, days, expected", [
    (dt.date(2026, 11, 24), 4, dt.date(2026, 12, 1)),  # Thanksgiving and a weekend
    (dt.date(2026, 11, 10), 1, dt.date(2026, 11, 12)),  # Veterans Day
    (dt.date(2026, 12, 24), 1, dt.date(2026, 12, 28)),  # Christmas on a Friday
    (dt.date(2026, 7, 1), 2, dt.date(2026, 7, 3)),  # July 4th on a Saturday: banks open Friday
    (dt.date(2027, 7, 2), 1, dt.date(2027, 7, 6)),  # July 4th on a Sunday: closed Monday
    (dt.date(2026, 11, 20), 0, dt.date(2026, 11, 20)),
])
def test_business_days_follow_the_federal_reserve(start, days, expected):
    assert add_business_days(start, days) == expected


# --- trace ----------------------------------------------------------------------------------


def test_trace_finds_the_members_own_payment_typed_loosely(svc, member):
    payment = pay(svc, member, 41_250 + 1_000)
    trace = payments.trace_payment(svc, member.account_id, payment.reference.lower()
                                   .replace("-", " "))
    assert trace.reference == payment.reference and trace.status == "succeeded"
    assert [e.status for e in trace.timeline] == ["draft", "pending", "succeeded"]
    assert [(p.plan_kind, p.coverage_month, p.amount_cents) for p in trace.paid] == [
        ("health", dt.date(2026, 11, 1), 41_250), ("dental", dt.date(2026, 11, 1), 1_000)]
    assert trace.method_label == "Visa ending in 4242"
    assert not trace.overdue


def test_another_members_reference_reads_like_a_missing_one(svc, member):
    payment = pay(svc, member, 1_000)
    other = make_paying_member(svc)
    with pytest.raises(NotFound) as theirs:
        payments.trace_payment(svc, other.account_id, payment.reference)
    unknown = "HC-2345-6789"
    assert not is_valid_reference(unknown)
    with pytest.raises(InvalidInput):
        payments.trace_payment(svc, other.account_id, unknown)
    missing_ref = next(r for r in (draft(svc, member, 1_000).reference,) if r)
    with pytest.raises(NotFound) as missing:
        payments.trace_payment(svc, other.account_id, missing_ref)
    assert (str(theirs.value).replace(payment.reference, "REF")
            == str(missing.value).replace(missing_ref, "REF"))


def test_a_bank_payment_past_its_settlement_date_is_overdue(svc, member, clock):
    payment = pay(svc, member, 20_000, BANK)
    clock.set(dt.datetime(2026, 11, 23, 20, 0, tzinfo=dt.UTC))
    assert not payments.trace_payment(svc, member.account_id, payment.reference).overdue
    clock.set(dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC))
    trace = payments.trace_payment(svc, member.account_id, payment.reference)
    assert trace.overdue and trace.expected_settlement_on == dt.date(2026, 11, 23)


def test_a_payment_pending_for_over_a_day_is_overdue(svc, member, gateway, clock):
    gateway.fail_next(1)
    payment = pay(svc, member, 1_000)
    clock.advance(hours=23)
    assert not payments.trace_payment(svc, member.account_id, payment.reference).overdue
    clock.advance(hours=2)
    assert payments.trace_payment(svc, member.account_id, payment.reference).overdue


def test_recent_payments_leave_out_drafts(svc, member):
    made = [pay(svc, member, 1_000 + n) for n in range(3)]
    draft(svc, member, 500)
    assert [p.id for p in payments.recent_payments(svc, member.account_id, limit=2)] == [
        made[2].id, made[1].id]
    assert [p.id for p in payments.recent_payments(svc, member.account_id,
                                                   before_id=made[1].id)] == [made[0].id]
