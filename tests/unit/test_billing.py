"""Bills: issuing invoices, their states, balances, grace periods and payment history."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from services import autopay, payments
from services.billing import (
    account_summary,
    invoice_state,
    issue_invoices,
    open_invoices,
    payment_history,
)
from services.context import ServiceConfig
from services.persistence.models import Invoice, Plan
from tests.conftest import build_services
from tests.factories import make_invoice, make_paying_member

HEALTH_AND_DENTAL = [("health", "Silver Health Plan", 41_250), ("dental", "Family Dental", 3_500)]
VISA, BANK = "pm_card_visa", "pm_bank_ok"


def at(clock, day: dt.date, hour: int = 15):
    clock.set(dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC))


def invoices(svc):
    with svc.uow() as uow:
        return [(i.plan.kind, i.coverage_month, i.due_date, i.amount_cents)
                for i in uow.session.scalars(select(Invoice).order_by(Invoice.coverage_month,
                                                                      Invoice.plan_id))]


def pay(svc, member, amount, token=VISA, **kwargs):
    payment = payments.create_draft(svc, member.account_id, amount_cents=amount,
                                    method_id=member.method_ids[token], **kwargs)
    return payments.confirm_payment(svc, member.account_id, payment.id)


# --- issuing --------------------------------------------------------------------------------


def test_bills_are_issued_through_the_next_coverage_month_once(svc):
    make_paying_member(svc, plans=HEALTH_AND_DENTAL, coverage_start=dt.date(2026, 11, 1))
    assert issue_invoices(svc, through=dt.date(2026, 11, 17)) == 4
    assert invoices(svc) == [
        ("health", dt.date(2026, 11, 1), dt.date(2026, 10, 23), 41_250),
        ("dental", dt.date(2026, 11, 1), dt.date(2026, 10, 23), 3_500),
        ("health", dt.date(2026, 12, 1), dt.date(2026, 11, 23), 41_250),
        ("dental", dt.date(2026, 12, 1), dt.date(2026, 11, 23), 3_500),
    ]
    assert issue_invoices(svc, through=dt.date(2026, 11, 30)) == 0
    assert issue_invoices(svc, through=dt.date(2026, 12, 1)) == 2
    assert invoices(svc)[-1][1:3] == (dt.date(2027, 1, 1), dt.date(2026, 12, 23))


def test_the_binder_bill_is_issued_as_soon_as_the_plan_exists(svc):
    make_paying_member(svc, coverage_start=dt.date(2027, 2, 1))
    assert issue_invoices(svc, through=dt.date(2026, 11, 17)) == 1
    assert invoices(svc) == [("health", dt.date(2027, 2, 1), dt.date(2027, 1, 23), 41_250)]


def test_due_date_is_a_setting_of_the_policy(sqlite_engine, gateway, clock, policy, secrets):
    svc = build_services(sqlite_engine, gateway=gateway, clock=clock, secrets=secrets,
                         policy=policy.__class__(**{**policy.__dict__, "due_day": 15}))
    make_paying_member(svc, coverage_start=dt.date(2026, 12, 1))
    issue_invoices(svc, through=dt.date(2026, 11, 17))
    assert invoices(svc)[0][2] == dt.date(2026, 11, 15)


def test_credit_from_an_overpayment_pays_the_next_bills(sqlite_engine, gateway, clock, policy,
                                                       secrets):
    svc = build_services(sqlite_engine, gateway=gateway, clock=clock, policy=policy,
                         secrets=secrets, config=ServiceConfig(allow_overpayment=True))
    member = make_paying_member(svc, coverage_start=dt.date(2026, 12, 1))
    issue_invoices(svc, through=dt.date(2026, 11, 17))
    pay(svc, member, 41_250 + 50_000)
    assert account_summary(svc, member.account_id).credit_cents == 50_000
    issue_invoices(svc, through=dt.date(2026, 12, 1))  # January's bill
    summary = account_summary(svc, member.account_id)
    assert (summary.credit_cents, summary.total_due_cents) == (50_000 - 41_250, 0)
    issue_invoices(svc, through=dt.date(2027, 1, 1))  # February's bill, partly covered
    summary = account_summary(svc, member.account_id)
    assert (summary.credit_cents, summary.total_due_cents) == (0, 41_250 - 8_750)


# --- invoice states and ordering ------------------------------------------------------------


@pytest.mark.parametrize("paid, today, state", [
    (0, dt.date(2026, 11, 23), "open"),
    (100, dt.date(2026, 11, 23), "partly_paid"),
    (41_250, dt.date(2026, 11, 30), "paid"),
    (0, dt.date(2026, 11, 24), "past_due"),
    (100, dt.date(2026, 11, 24), "past_due"),
])
def test_invoice_state(paid, today, state):
    invoice = Invoice(amount_cents=41_250, paid_cents=paid, due_date=dt.date(2026, 11, 23))
    assert invoice_state(invoice, today) == state


def test_open_invoices_oldest_month_first_then_health_before_dental(svc):
    member = make_paying_member(svc, plans=[("dental", "Family Dental", 3_500),
                                            ("health", "Silver Health Plan", 41_250)])
    with svc.uow() as uow:
        session = uow.session
        dental, health = (session.get(Plan, member.plan_ids[k]) for k in ("dental", "health"))
        make_invoice(session, health, dt.date(2026, 12, 1))
        make_invoice(session, dental, dt.date(2026, 11, 1))
        make_invoice(session, health, dt.date(2026, 11, 1))
        make_invoice(session, dental, dt.date(2026, 12, 1), paid_cents=3_500)
        uow.commit()
        found = [(i.coverage_month.month, i.plan.kind)
                 for i in open_invoices(session, member.enrollment_id)]
        only_dental = open_invoices(session, member.enrollment_id, plan_id=dental.id)
    assert found == [(11, "health"), (11, "dental"), (12, "health")]
    assert [i.coverage_month.month for i in only_dental] == [11]


# --- summary --------------------------------------------------------------------------------


def test_summary_per_plan_with_past_due_and_next_due_date(svc):
    member = make_paying_member(svc, plans=HEALTH_AND_DENTAL, coverage_start=dt.date(2026, 11, 1))
    issue_invoices(svc, through=svc.today())
    pay(svc, member, 3_500, plan_id=member.plan_ids["dental"])  # November's dental
    summary = account_summary(svc, member.account_id)
    health, dental = summary.plans
    assert (health.kind, health.balance_cents, health.past_due_cents, health.next_due_date) == (
        "health", 82_500, 41_250, dt.date(2026, 10, 23))
    assert (dental.kind, dental.balance_cents, dental.past_due_cents, dental.next_due_date) == (
        "dental", 3_500, 0, dt.date(2026, 11, 23))
    assert (summary.total_due_cents, summary.past_due_cents) == (86_000, 41_250)
    assert summary.next_due_date == dt.date(2026, 10, 23)
    assert summary.autopay.status == "off" and summary.autopay.next_charge_on is None


def test_when_everything_is_paid_the_next_due_date_is_the_next_bills(svc):
    member = make_paying_member(svc, coverage_start=dt.date(2026, 12, 1))
    issue_invoices(svc, through=svc.today())
    pay(svc, member, 41_250)
    summary = account_summary(svc, member.account_id)
    assert summary.total_due_cents == 0 and summary.grace is None
    assert summary.next_due_date == dt.date(2026, 12, 23)  # January's premium


def test_summary_shows_autopay_and_its_next_charge(svc):
    member = make_paying_member(svc, coverage_start=dt.date(2026, 12, 1))
    issue_invoices(svc, through=svc.today())
    autopay.enroll(svc, member.account_id, method_id=member.method_ids[VISA],
                   amount_rule="full_balance", fixed_amount_cents=None, frequency="monthly",
                   days_before_due=3)
    line = account_summary(svc, member.account_id).autopay
    assert (line.status, line.next_charge_on, line.method_label) == (
        "active", dt.date(2026, 11, 20), "Visa ending in 4242")


# --- grace periods --------------------------------------------------------------------------


def test_tax_credit_member_in_the_second_month_of_grace(svc, clock):
    member = make_paying_member(svc, subsidy_type="tax_credit",
                                coverage_start=dt.date(2026, 12, 1))
    at(clock, dt.date(2027, 1, 10))
    issue_invoices(svc, through=svc.today())
    grace = account_summary(svc, member.account_id).grace
    assert grace.first_unpaid_month == dt.date(2026, 12, 1)
    assert grace.past_due_since == dt.date(2026, 11, 24)
    assert (grace.grace_months, grace.month_of_grace) == (3, 2)
    # Three months from December: coverage is at risk after the last day of February.
    assert grace.coverage_at_risk_on == dt.date(2027, 2, 28)
    assert grace.notices_due == ("past_due", "termination_warning")
    assert grace.past_due_cents == 2 * 41_250  # December and January (due December 23rd)
    assert not grace.deadline_passed


def test_connectorcare_member_past_the_end_of_grace(svc, clock):
    member = make_paying_member(svc, subsidy_type="connectorcare",
                                coverage_start=dt.date(2026, 12, 1))
    at(clock, dt.date(2027, 3, 2))
    issue_invoices(svc, through=svc.today())
    grace = account_summary(svc, member.account_id).grace
    assert grace.month_of_grace == 3 and grace.deadline_passed
    assert grace.notices_due == ("past_due", "termination_warning", "termination_warning")


def test_unsubsidized_member_gets_a_pay_by_date_not_a_grace_period(svc, clock):
    member = make_paying_member(svc, subsidy_type="unsubsidized",
                                coverage_start=dt.date(2026, 12, 1))
    issue_invoices(svc, through=svc.today())
    at(clock, dt.date(2026, 11, 23))
    assert account_summary(svc, member.account_id).grace is None  # due today, not late yet
    at(clock, dt.date(2026, 11, 30))
    grace = account_summary(svc, member.account_id).grace
    assert (grace.grace_months, grace.month_of_grace) == (0, 0)
    assert grace.coverage_at_risk_on == dt.date(2026, 12, 23)  # 30 days after the due date
    assert grace.notices_due == ("past_due",)


def test_a_bank_payment_settling_holds_off_grace_until_it_fails(svc, gateway, clock):
    member = make_paying_member(svc, coverage_start=dt.date(2026, 12, 1), methods=(VISA, BANK))
    issue_invoices(svc, through=svc.today())
    payment = pay(svc, member, 41_250, BANK)
    at(clock, dt.date(2026, 11, 25))
    assert account_summary(svc, member.account_id).grace is None
    gateway.settle(payment.idempotency_key, "declined")
    payments.reconcile_payment(svc, payment.id)
    assert account_summary(svc, member.account_id).grace.first_unpaid_month == dt.date(2026, 12, 1)


# --- history --------------------------------------------------------------------------------


def test_payment_history_newest_first_without_drafts(svc, clock):
    member = make_paying_member(svc, plans=HEALTH_AND_DENTAL, coverage_start=dt.date(2026, 11, 1),
                                methods=(VISA, BANK, "pm_card_visa_chargeDeclined"))
    issue_invoices(svc, through=svc.today())
    first = pay(svc, member, 41_250 + 3_500)
    clock.advance(days=1)
    declined = pay(svc, member, 1_000, "pm_card_visa_chargeDeclined")
    clock.set(dt.datetime(2026, 11, 19, 3, 0, tzinfo=dt.UTC))  # still the 18th in Boston
    bank = pay(svc, member, 2_000, BANK)
    payments.create_draft(svc, member.account_id, amount_cents=500,
                          method_id=member.method_ids[VISA])
    history = payment_history(svc, member.account_id)
    assert [(v.reference, v.status) for v in history] == [
        (bank.reference, "processing"), (declined.reference, "declined"),
        (first.reference, "succeeded")]
    assert [v.date for v in history] == [dt.date(2026, 11, 18), dt.date(2026, 11, 18),
                                         dt.date(2026, 11, 17)]
    assert history[2].plan_kinds == ("health", "dental")
    assert history[2].method_label == "Visa ending in 4242"
    assert history[1].decline_code == "generic_decline"
    assert [v.reference for v in payment_history(svc, member.account_id, limit=1,
                                                 before_id=history[0].payment_id)] == [
        declined.reference]
