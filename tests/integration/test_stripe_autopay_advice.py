"""Autopay through the Stripe SDK and stub (SQLite and PostgreSQL): a soft decline is tried
again, unless the issuer's advice_code says not to."""

from __future__ import annotations

import datetime as dt

import pytest

from services import autopay, autopay_charges
from services.billing import issue_invoices
from tests.conftest import build_services
from tests.factories import make_paying_member
from tests.stripe_stub import StripeStub, decline_token, stub_gateway

SOFT = decline_token("generic_decline")


@pytest.fixture
def stripe_stub():
    with StripeStub() as stub:
        yield stub


@pytest.fixture
def svc(engine, stripe_stub, clock, policy, secrets):
    return build_services(engine, gateway=stub_gateway(stripe_stub), clock=clock, policy=policy,
                          secrets=secrets)


@pytest.fixture
def member(svc):
    member = make_paying_member(svc, coverage_start=dt.date(2026, 12, 1), methods=(SOFT,))
    issue_invoices(svc, through=svc.today())
    autopay.enroll(svc, member.account_id, method_id=member.method_ids[SOFT],
                   amount_rule="full_balance", fixed_amount_cents=None, frequency="monthly",
                   days_before_due=10)
    return member


def charge_on_november_13(svc, clock):
    clock.set(dt.datetime(2026, 11, 13, 15, tzinfo=dt.UTC))
    [result] = autopay_charges.charge_autopay_due(svc, dt.date(2026, 11, 13))
    return result


def test_a_soft_decline_is_tried_again(svc, member, clock):
    result = charge_on_november_13(svc, clock)

    assert (result.status, result.decline_code) == ("declined", "generic_decline")
    assert result.next_attempt_on == dt.date(2026, 11, 15)


def test_a_decline_the_issuer_says_not_to_retry_never_is(svc, member, clock, stripe_stub):
    stripe_stub.advice_codes[SOFT] = "do_not_try_again"

    result = charge_on_november_13(svc, clock)

    assert (result.status, result.decline_code) == ("declined", "generic_decline")
    assert result.next_attempt_on is None
    clock.set(dt.datetime(2026, 11, 15, 15, tzinfo=dt.UTC))
    assert autopay_charges.charge_autopay_due(svc, dt.date(2026, 11, 15)) == []
    assert len(stripe_stub.requests_to("POST", "/v1/payment_intents")) == 1
