"""Autopay on SQLite and PostgreSQL: each mandate charged at most once per billing period, held
by the database's unique constraint, however many workers run at once."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services import autopay
from services.adapters.sandbox_gateway import SandboxGateway
from services.billing import account_summary, issue_invoices
from services.errors import NotAllowed
from services.persistence.database import make_session_factory
from services.persistence.models import AutopayCharge, AutopayMandate, Payment
from tests.concurrency import run_together
from tests.conftest import build_services
from tests.factories import make_paying_member

PREMIUM = 41_250
VISA = "pm_card_visa"


@pytest.fixture
def gateway(engine, clock):
    return SandboxGateway(make_session_factory(engine), clock)


@pytest.fixture
def svc(engine, gateway, clock, policy, secrets):
    return build_services(engine, gateway=gateway, clock=clock, policy=policy, secrets=secrets)


def on(clock, month: int, day: int, year: int = 2026) -> dt.date:
    clock.set(dt.datetime(year, month, day, 15, tzinfo=dt.UTC))
    return dt.date(year, month, day)


def members_with_autopay(svc, count: int, **terms):
    members = [make_paying_member(svc, coverage_start=dt.date(2026, 12, 1)) for _ in range(count)]
    issue_invoices(svc, through=svc.today())
    for member in members:
        autopay.enroll(svc, member.account_id, method_id=member.method_ids[VISA],
                       **{"amount_rule": "full_balance", "fixed_amount_cents": None,
                          "frequency": "monthly", "days_before_due": 3, **terms})
    return members


def count(svc, model) -> int:
    with svc.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def test_running_twice_on_the_charge_day_charges_once(svc, gateway, clock):
    [member] = members_with_autopay(svc, 1)
    [result] = autopay.charge_autopay_due(svc, on(clock, 11, 20))
    assert (result.status, result.amount_cents) == ("succeeded", PREMIUM)
    assert autopay.charge_autopay_due(svc, svc.today()) == []
    assert gateway.charge_count() == 1 and count(svc, Payment) == 1
    assert account_summary(svc, member.account_id).total_due_cents == 0


def test_concurrent_workers_charge_each_mandate_once(svc, gateway, clock):
    members = members_with_autopay(svc, 6)
    today = on(clock, 11, 20)
    runs = run_together(*[lambda: autopay.charge_autopay_due(svc, today)] * 3)
    assert not [r for r in runs if isinstance(r, Exception)], runs
    charged = sorted(result.account_id for run in runs for result in run)
    assert charged == sorted(member.account_id for member in members)
    assert gateway.charge_count() == 6
    assert count(svc, AutopayCharge) == 6 and count(svc, Payment) == 6


def test_the_unique_constraint_refuses_a_second_charge_row(svc, clock):
    members_with_autopay(svc, 1)
    autopay.charge_autopay_due(svc, on(clock, 11, 20))
    with svc.uow() as uow, pytest.raises(IntegrityError):
        charge = uow.session.scalar(select(AutopayCharge))
        uow.session.add(AutopayCharge(
            mandate_id=charge.mandate_id, billing_period=charge.billing_period,
            status="claimed", attempts=1, created_at=svc.now(), updated_at=svc.now()))
        uow.session.flush()


def test_racing_enrolments_make_one_mandate(svc):
    member = make_paying_member(svc)

    def enroll():
        return autopay.enroll(svc, member.account_id, method_id=member.method_ids[VISA],
                              amount_rule="full_balance", fixed_amount_cents=None,
                              frequency="monthly", days_before_due=3)

    results = run_together(enroll, enroll, enroll)
    assert sum(isinstance(r, AutopayMandate) for r in results) == 1
    assert all(isinstance(r, (AutopayMandate, NotAllowed)) for r in results), results
    assert count(svc, AutopayMandate) == 1


def test_quarterly_credit_pays_the_later_bills(svc, clock):
    [member] = members_with_autopay(svc, 1, frequency="quarterly")
    on(clock, 12, 20)
    issue_invoices(svc, through=svc.today())
    [result] = autopay.charge_autopay_due(svc, svc.today())
    assert result.amount_cents == 4 * PREMIUM
    on(clock, 2, 1, 2027)
    issue_invoices(svc, through=svc.today())
    summary = account_summary(svc, member.account_id)
    assert (summary.total_due_cents, summary.credit_cents) == (0, 0)


def test_a_mandate_locked_by_another_worker_is_skipped_not_waited_for(svc, engine, clock):
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks with SKIP LOCKED are PostgreSQL's; SQLite runs one writer")
    first, second = members_with_autopay(svc, 2)
    today = on(clock, 11, 20)
    with Session(engine) as other_worker:
        other_worker.scalar(select(AutopayMandate)
                            .where(AutopayMandate.account_id == first.account_id)
                            .with_for_update())
        results = autopay.charge_autopay_due(svc, today)
        assert [r.account_id for r in results] == [second.account_id]
    [later] = autopay.charge_autopay_due(svc, today)
    assert later.account_id == first.account_id
