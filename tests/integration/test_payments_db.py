"""Payments on SQLite and PostgreSQL, through the sandbox gateway and its own ledger: bills
issued once, a draft charged once whatever taps, races and timeouts happen, bank debits settled
by reconciliation."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import func, select

from services import payments
from services.adapters.sandbox_gateway import SandboxGateway
from services.billing import account_summary, issue_invoices, payment_history
from services.errors import GatewayUnavailable, NotFound
from services.persistence.database import make_session_factory
from services.persistence.models import Invoice, PaymentAllocation
from tests.concurrency import run_together
from tests.conftest import build_services
from tests.factories import make_paying_member

HEALTH_AND_DENTAL = [("health", "Silver Health Plan", 41_250), ("dental", "Family Dental", 3_500)]
TOTAL = 2 * (41_250 + 3_500)
VISA, BANK = "pm_card_visa", "pm_usBankAccount_success"
BANK_NO_FUNDS = "pm_usBankAccount_insufficientFunds"


class Faults:
    """Makes the sandbox time out, before or after it records the charge."""

    def __init__(self):
        self.pending: dict[str, int] = {}

    def fail(self, stage: str, times: int = 1) -> None:
        self.pending[stage] = times

    def __call__(self, stage, request):
        if self.pending.get(stage):
            self.pending[stage] -= 1
            raise GatewayUnavailable(f"sandbox timeout {stage}")


@pytest.fixture
def faults():
    return Faults()


@pytest.fixture
def gateway(engine, clock, faults):
    return SandboxGateway(make_session_factory(engine), clock, fault_injector=faults)


@pytest.fixture
def svc(engine, gateway, clock, policy, secrets):
    return build_services(engine, gateway=gateway, clock=clock, policy=policy, secrets=secrets)


@pytest.fixture
def member(svc):
    member = make_paying_member(svc, plans=HEALTH_AND_DENTAL, coverage_start=dt.date(2026, 11, 1),
                                methods=(VISA, BANK, BANK_NO_FUNDS))
    issue_invoices(svc, through=svc.today())
    return member


def draft(svc, member, amount, token=VISA):
    return payments.create_draft(svc, member.account_id, amount_cents=amount,
                                 method_id=member.method_ids[token])


def allocated(svc):
    with svc.uow() as uow:
        return uow.session.scalar(select(func.coalesce(func.sum(PaymentAllocation.amount_cents),
                                                       0)))


def test_bills_are_issued_once_even_by_two_workers_at_once(svc):
    make_paying_member(svc, plans=HEALTH_AND_DENTAL, coverage_start=dt.date(2026, 6, 1))
    counts = run_together(*[lambda: issue_invoices(svc, through=svc.today())] * 3)
    assert not [c for c in counts if isinstance(c, Exception)], counts
    assert sum(counts) == 2 * 7  # June through December, both plans
    with svc.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Invoice)) == 14


def test_confirm_pays_the_oldest_bills_first(svc, member, gateway):
    payment = payments.confirm_payment(svc, member.account_id,
                                       draft(svc, member, 41_250 + 3_500 + 100).id)
    assert payment.status == "succeeded" and gateway.charge_count() == 1
    with svc.uow() as uow:
        paid = [(i.coverage_month.month, i.plan.kind, i.paid_cents) for i in uow.session.scalars(
            select(Invoice).order_by(Invoice.coverage_month, Invoice.plan_id))]
    assert paid == [(11, "health", 41_250), (11, "dental", 3_500), (12, "health", 100),
                    (12, "dental", 0)]


def test_a_second_confirm_charges_once(svc, member, gateway):
    payment = draft(svc, member, 20_000)
    for _ in range(3):
        assert payments.confirm_payment(svc, member.account_id, payment.id).status == "succeeded"
    assert gateway.charge_count() == 1 and allocated(svc) == 20_000


def test_racing_confirms_charge_once(svc, member, gateway, monkeypatch):
    payment = draft(svc, member, 20_000)
    check = payments.get_chargeable_method

    def slow_check(*args, **kwargs):  # every confirm reads the draft before any claims it
        method = check(*args, **kwargs)
        time.sleep(0.2)
        return method

    monkeypatch.setattr(payments, "get_chargeable_method", slow_check)
    results = run_together(*[lambda: payments.confirm_payment(svc, member.account_id,
                                                              payment.id)] * 4)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert gateway.charge_count() == 1 and allocated(svc) == 20_000
    assert payments.reconcile_payment(svc, payment.id).status == "succeeded"


@pytest.mark.parametrize("stage", ["before_charge", "after_charge"])
def test_a_timeout_leaves_it_pending_and_reconciliation_charges_once(svc, member, gateway,
                                                                     faults, stage):
    faults.fail(stage)
    payment = payments.confirm_payment(svc, member.account_id, draft(svc, member, 20_000).id)
    assert payment.status == "pending"
    assert gateway.charge_count() == (1 if stage == "after_charge" else 0)
    settled = payments.reconcile_payment(svc, payment.id)
    assert settled.status == "succeeded"
    assert payments.reconcile_payment(svc, payment.id).status == "succeeded"
    assert gateway.charge_count() == 1 and allocated(svc) == 20_000


def test_bank_debit_settles_after_business_days(svc, member, clock):
    payment = payments.confirm_payment(svc, member.account_id, draft(svc, member, 30_000, BANK).id)
    assert (payment.status, payment.expected_settlement_on) == ("processing",
                                                                dt.date(2026, 11, 23))
    assert account_summary(svc, member.account_id).pending_cents == 30_000
    assert payments.reconcile_payment(svc, payment.id).status == "processing"
    clock.set(dt.datetime(2026, 11, 23, 15, tzinfo=dt.UTC))
    assert payments.processing_payments(svc, as_of=svc.today()) == [payment.id]
    assert payments.reconcile_payment(svc, payment.id).status == "succeeded"
    summary = account_summary(svc, member.account_id)
    assert (summary.pending_cents, summary.total_due_cents) == (0, TOTAL - 30_000)


def test_a_returned_bank_debit_fails_and_reopens_the_balance(svc, member, clock):
    payment = payments.confirm_payment(svc, member.account_id,
                                       draft(svc, member, 30_000, BANK_NO_FUNDS).id)
    clock.set(dt.datetime(2026, 11, 23, 15, tzinfo=dt.UTC))
    failed = payments.reconcile_payment(svc, payment.id)
    assert (failed.status, failed.decline_code) == ("failed", "insufficient_funds")
    assert account_summary(svc, member.account_id).total_due_cents == TOTAL
    assert payments.latest_declined_payment(svc, member.account_id).id == payment.id


def test_trace_and_history_are_the_members_own(svc, member):
    payment = payments.confirm_payment(svc, member.account_id, draft(svc, member, 45_000).id)
    trace = payments.trace_payment(svc, member.account_id, payment.reference.lower())
    assert [e.status for e in trace.timeline] == ["draft", "pending", "succeeded"]
    assert sum(line.amount_cents for line in trace.paid) == 45_000
    other = make_paying_member(svc)
    with pytest.raises(NotFound):
        payments.trace_payment(svc, other.account_id, payment.reference)
    assert [v.reference for v in payment_history(svc, member.account_id)] == [payment.reference]
    assert payment_history(svc, other.account_id) == []
