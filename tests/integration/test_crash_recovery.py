"""A process that dies between the gateway's charge and the database commit (tests/crash_worker
.py ends itself with os._exit right after the charge): after a restart, reconciliation by
idempotency key finds the charge. No duplicate charge, no lost record, the money applied once,
and the member told. On the sandbox (its ledger in the same database) and on Stripe's stub."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from services import autopay, payments
from services.adapters.sandbox_gateway import SandboxGateway
from services.adapters.stripe_events import IDEMPOTENCY_METADATA_KEY, PaymentUpdate
from services.autopay import charge_autopay_due
from services.billing import issue_invoices
from services.payment_updates import apply_payment_update
from services.persistence.database import make_session_factory
from services.persistence.models import AutopayCharge, Notification, Payment, PaymentAllocation
from services.settlement import settle_payments
from services.webhook_events import ReceivedEvent
from tests.conftest import build_services
from tests.crash_worker import CRASHED
from tests.factories import make_paying_member
from tests.stripe_stub import StripeStub, stub_gateway

PROJECT = Path(__file__).resolve().parents[2]
PREMIUM = 41_250
VISA = "pm_card_visa"

ON_BOTH = pytest.mark.parametrize(
    ("gateway_kind", "database_url"),
    [pytest.param("sandbox", "sqlite", id="sandbox-sqlite"),
     pytest.param("sandbox", "postgres", id="sandbox-postgres", marks=pytest.mark.postgres),
     pytest.param("stripe", "sqlite", id="stripe-sqlite")],
    indirect=["database_url"])


@pytest.fixture
def stub():
    with StripeStub() as stub:
        yield stub


class World:
    """The database and gateway a crashed worker leaves behind, and a fresh process over them."""

    def __init__(self, kind, database_url, engine, clock, policy, secrets, stub):
        self.kind, self.url, self.clock, self.stub = kind, database_url, clock, stub
        gateway = SandboxGateway(make_session_factory(engine), clock) if kind == "sandbox" \
            else stub_gateway(stub)
        self.svc = build_services(engine, gateway=gateway, clock=clock, policy=policy,
                                  secrets=secrets)

    def crash_while(self, *job: str) -> None:
        command = [sys.executable, "-m", "tests.crash_worker", self.url,
                   self.clock.now().isoformat(), *job]
        if self.kind == "stripe":
            command += ["--stripe", self.stub.url]
        finished = subprocess.run(command, cwd=PROJECT, capture_output=True, text=True,
                                  timeout=60)
        assert finished.returncode == CRASHED, finished.stderr

    def charges(self) -> int:
        if self.kind == "sandbox":
            return self.svc.gateway.charge_count()
        return self.stub.intents_created

    def scalar(self, query):
        with self.svc.uow() as uow:
            return uow.session.scalar(query)


@pytest.fixture
def world(gateway_kind, database_url, engine, clock, policy, secrets, stub):
    return World(gateway_kind, database_url, engine, clock, policy, secrets, stub)


def allocated(world: World) -> int:
    return world.scalar(select(func.coalesce(func.sum(PaymentAllocation.amount_cents), 0)))


def notices(world: World, payment_id: int) -> int:
    return world.scalar(select(func.count()).select_from(Notification).where(
        Notification.dedupe_key == f"payment:{payment_id}:succeeded"))


@ON_BOTH
@pytest.mark.parametrize("restart_by", ["settlement", "member_taps_again"])
def test_a_crash_after_charging_a_member_is_settled_once(world, restart_by):
    svc = world.svc
    member = make_paying_member(svc, coverage_start=dt.date(2026, 12, 1), methods=(VISA,))
    issue_invoices(svc, through=svc.today())
    draft = payments.create_draft(svc, member.account_id, amount_cents=PREMIUM,
                                  method_id=member.method_ids[VISA])

    world.crash_while("confirm", str(member.account_id), str(draft.id))

    # Charged at the gateway; here, only the claim committed before the call.
    assert world.charges() == 1
    assert world.scalar(select(Payment.status).where(Payment.id == draft.id)) == "pending"
    assert allocated(world) == 0
    world.clock.advance(minutes=5)
    if restart_by == "member_taps_again":  # and sees the outcome in the chat
        assert payments.confirm_payment(svc, member.account_id, draft.id).status == "succeeded"
    settle_payments(svc, svc.today())
    assert world.scalar(select(Payment.status).where(Payment.id == draft.id)) == "succeeded"
    assert world.charges() == 1
    assert allocated(world) == PREMIUM
    # The crashed confirm told the member nothing: the settlement's notice does.
    assert notices(world, draft.id) == (1 if restart_by == "settlement" else 0)


@ON_BOTH
def test_a_crash_after_an_autopay_charge_is_finished_once(world):
    svc = world.svc
    member = make_paying_member(svc, coverage_start=dt.date(2026, 12, 1), methods=(VISA,))
    issue_invoices(svc, through=svc.today())
    autopay.enroll(svc, member.account_id, method_id=member.method_ids[VISA],
                   amount_rule="full_balance", fixed_amount_cents=None, frequency="monthly",
                   days_before_due=3)
    world.clock.set(dt.datetime(2026, 11, 20, 11, tzinfo=dt.UTC))

    world.crash_while("autopay")

    assert world.charges() == 1
    assert world.scalar(select(AutopayCharge.status)) == "claimed"
    world.clock.advance(minutes=20)  # the crashed worker's claim goes stale
    charge_autopay_due(svc, svc.today())
    assert world.scalar(select(AutopayCharge.status)) == "charged"
    assert world.scalar(select(func.count()).select_from(Payment)) == 1
    payment_id = world.scalar(select(Payment.id))
    assert world.scalar(select(Payment.status)) == "succeeded"
    assert world.charges() == 1
    assert allocated(world) == PREMIUM
    settle_payments(svc, svc.today())  # the jobs plan the member's notice
    assert notices(world, payment_id) == 1


@pytest.mark.parametrize(("gateway_kind", "database_url"), [("stripe", "sqlite")],
                         indirect=["database_url"])
def test_a_crash_then_stripes_webhook_tells_the_member(world):
    svc = world.svc
    member = make_paying_member(svc, coverage_start=dt.date(2026, 12, 1), methods=(VISA,))
    issue_invoices(svc, through=svc.today())
    draft = payments.create_draft(svc, member.account_id, amount_cents=PREMIUM,
                                  method_id=member.method_ids[VISA])
    world.crash_while("confirm", str(member.account_id), str(draft.id))

    [intent] = world.stub.intents.values()
    update = PaymentUpdate(gateway_ref=intent["id"], status="succeeded",
                           idempotency_key=intent["metadata"][IDEMPOTENCY_METADATA_KEY])
    apply_payment_update(svc, update, event=ReceivedEvent("evt_1", "payment_intent.succeeded"))

    assert world.scalar(select(Payment.status).where(Payment.id == draft.id)) == "succeeded"
    assert (world.charges(), allocated(world), notices(world, draft.id)) == (1, PREMIUM, 1)
