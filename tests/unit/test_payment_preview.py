"""What a payment would pay, shown at its review: the same places the payment is allocated to."""

from __future__ import annotations

import datetime as dt

import pytest

from services import payments
from services.billing import issue_invoices
from services.errors import NotFound
from services.payment_preview import preview_payment
from services.payment_trace import trace_payment
from tests.conftest import build_services
from tests.factories import make_paying_member
from tests.fakes import FakeGateway

NOV, DEC = dt.date(2026, 11, 1), dt.date(2026, 12, 1)
PLANS = [("health", "Silver Health Plan", 41_250), ("dental", "Family Dental", 3_500)]


@pytest.fixture
def svc(sqlite_engine, clock, policy, secrets):
    return build_services(sqlite_engine, gateway=FakeGateway(), clock=clock, policy=policy,
                          secrets=secrets)


@pytest.fixture
def member(svc):
    member = make_paying_member(svc, plans=PLANS, methods=("pm_card_visa", "pm_bank_ok"))
    issue_invoices(svc, through=svc.today())  # November (past due) and December
    return member


def placed(preview):
    return [(line.plan_kind, line.coverage_month, line.amount_cents) for line in preview.lines]


def test_the_oldest_month_first_and_health_before_dental(svc, member):
    preview = preview_payment(svc, member.account_id, amount_cents=50_000)

    assert placed(preview) == [("health", NOV, 41_250), ("dental", NOV, 3_500),
                               ("health", DEC, 5_250)]
    assert preview.credit_cents == 0
    assert preview.lines[0].plan_name == "Silver Health Plan"


def test_a_payment_for_one_plan_pays_only_that_plan(svc, member):
    preview = preview_payment(svc, member.account_id, amount_cents=7_000,
                              plan_id=member.plan_ids["dental"])

    assert placed(preview) == [("dental", NOV, 3_500), ("dental", DEC, 3_500)]


def test_payments_in_flight_are_placed_first(svc, member):
    settling = payments.create_draft(svc, member.account_id, amount_cents=44_750,
                                     method_id=member.method_ids["pm_bank_ok"])
    assert payments.confirm_payment(svc, member.account_id, settling.id).status == "processing"

    preview = preview_payment(svc, member.account_id, amount_cents=10_000)

    assert placed(preview) == [("health", DEC, 10_000)]


def test_what_no_bill_needs_is_credit(svc, member):
    preview = preview_payment(svc, member.account_id, amount_cents=100_000)

    assert sum(line.amount_cents for line in preview.lines) == 89_500
    assert preview.credit_cents == 10_500


def test_the_preview_is_what_the_payment_then_pays(svc, member):
    preview = preview_payment(svc, member.account_id, amount_cents=60_000)
    draft = payments.create_draft(svc, member.account_id, amount_cents=60_000,
                                  method_id=member.method_ids["pm_card_visa"])
    paid = payments.confirm_payment(svc, member.account_id, draft.id)

    assert trace_payment(svc, member.account_id, paid.reference).paid == preview.lines


def test_an_unknown_account_is_not_found(svc, member):
    with pytest.raises(NotFound):
        preview_payment(svc, member.account_id + 100, amount_cents=1_000)
