"""Gateway faults at every step of a member's payment and of an autopay charge, on SQLite and
PostgreSQL, through the sandbox gateway and through the real Stripe SDK against the stub.

Steps: the charge (confirm, or autopay's attempt), then the settlement job's look-up by
idempotency key, then its charge of a payment the gateway never saw. Faults: timeouts before and
after the gateway records the charge, HTTP 500 (retried by the SDK or not), 429, a connection
dropped before or after the request was handled, an answer slower than the client waits, and a
500 that Stripe saves as the key's result.

Whatever the fault, the payment ends in a known state (pending with its key, or its outcome),
the settlement job settles it, the member is told (a notice in the outbox, once, unless the
chat already showed the outcome), the money is applied to the bill once, and the gateway holds
exactly one charge.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from bot import metrics
from services import autopay, payments
from services.adapters.sandbox_gateway import SandboxGateway
from services.autopay import charge_autopay_due
from services.billing import issue_invoices
from services.errors import GatewayUnavailable
from services.payment_notices import plan_payment_notices
from services.payment_outcomes import UNANSWERED_NOTE
from services.persistence.database import make_session_factory
from services.persistence.models import (
    AutopayCharge,
    Notification,
    Payment,
    PaymentAllocation,
    PaymentEvent,
)
from services.settlement import settle_payments
from tests.conftest import build_services
from tests.factories import make_paying_member
from tests.stripe_stub import StripeStub, stub_gateway

PREMIUM = 41_250
VISA = "pm_card_visa"
SLOW_ANSWER_SECONDS, CLIENT_TIMEOUT = 0.4, 0.2


@dataclass(frozen=True)
class Fault:
    gateway: str  # "sandbox" or "stripe"
    at_charge: str  # the fault the first charge meets
    at_settlement: str | None = None  # the fault the first settlement run meets

    def __str__(self) -> str:
        return f"{self.gateway}:{self.at_charge}" + (
            f"+settle:{self.at_settlement}" if self.at_settlement else "")


FAULTS = [
    Fault("sandbox", "before_charge"),
    Fault("sandbox", "after_charge"),
    Fault("sandbox", "before_charge", at_settlement="before_charge"),
    Fault("sandbox", "after_charge", at_settlement="retrieve"),
    Fault("stripe", "500x1"),  # the SDK retries it with the same key
    Fault("stripe", "500x3"),  # every retry fails too
    Fault("stripe", "429x1"),
    Fault("stripe", "dropx3"),
    Fault("stripe", "drop_afterx1"),  # charged, answer lost, the retry gets the replay
    Fault("stripe", "drop_afterx3"),
    Fault("stripe", "slowx3"),
    Fault("stripe", "500_afterx1"),  # charged, then a 500 Stripe keeps as the key's answer
    Fault("stripe", "drop_afterx3", at_settlement="500x3"),
    Fault("stripe", "500x3", at_settlement="429x1"),
]


class SandboxFaults:
    """The sandbox's fault injector: the next charge times out before or after it is recorded."""

    def __init__(self):
        self.armed: list[str] = []

    def __call__(self, stage, request):
        if stage in self.armed:
            self.armed.remove(stage)
            raise GatewayUnavailable(f"sandbox timeout {stage}")


class Unanswered:
    """A gateway whose next look-up (`retrieve`) gets no answer."""

    def __init__(self, gateway):
        self._gateway = gateway
        self.name = gateway.name
        self.retrieves_to_fail = 0

    def charge(self, request):
        return self._gateway.charge(request)

    def retrieve(self, *, idempotency_key, gateway_ref):
        if self.retrieves_to_fail:
            self.retrieves_to_fail -= 1
            raise GatewayUnavailable("sandbox look-up timed out")
        return self._gateway.retrieve(idempotency_key=idempotency_key, gateway_ref=gateway_ref)

    def __getattr__(self, name):
        return getattr(self._gateway, name)


class Rig:
    """Services on one gateway, with faults to arm and the gateway's own count of charges."""

    def __init__(self, kind: str, engine, clock, policy, secrets, stub: StripeStub):
        self.kind, self.stub = kind, stub
        self.sandbox_faults = SandboxFaults()
        if kind == "sandbox":
            inner = SandboxGateway(make_session_factory(engine), clock,
                                   fault_injector=self.sandbox_faults)
        else:
            inner = stub_gateway(stub, timeout=CLIENT_TIMEOUT)
        self.gateway = Unanswered(inner)
        self.svc = build_services(engine, gateway=self.gateway, clock=clock, policy=policy,
                                  secrets=secrets)

    def arm(self, fault: str | None) -> None:
        if fault is None:
            return
        if self.kind == "sandbox":
            if fault == "retrieve":
                self.gateway.retrieves_to_fail += 1
            else:
                self.sandbox_faults.armed.append(fault)
            return
        kind, _, times = fault.partition("x")
        self.stub.fail_next(kind, int(times), delay=SLOW_ANSWER_SECONDS)

    def charges(self) -> int:
        """Charges the gateway itself holds (the sandbox's ledger; Stripe's PaymentIntents)."""
        if self.kind == "sandbox":
            return self.gateway.charge_count()
        return self.stub.intents_created

    def gateway_errors(self) -> float:
        return metrics.REGISTRY.get_sample_value(
            "healthpay_gateway_errors_total",
            {"gateway": self.gateway.name, "kind": "unavailable"}) or 0.0


@pytest.fixture
def stub():
    with StripeStub() as stub:
        yield stub


def on_databases(faults: list[Fault]):
    """Every fault on SQLite; on PostgreSQL too for the sandbox, whose ledger shares the
    database, and for two Stripe faults (the rest differ only inside the SDK and the stub)."""
    on_postgres = [f for f in faults if f.gateway == "sandbox"
                   or str(f) in ("stripe:drop_afterx3", "stripe:500x3+settle:429x1")]
    return pytest.mark.parametrize(
        ("fault", "database_url"),
        [pytest.param(f, "sqlite", id=f"{f}-sqlite") for f in faults]
        + [pytest.param(f, "postgres", id=f"{f}-postgres", marks=pytest.mark.postgres)
           for f in on_postgres],
        indirect=True)


@pytest.fixture
def fault(request) -> Fault:
    return request.param


@pytest.fixture
def rig(fault, engine, clock, policy, secrets, stub) -> Rig:
    metrics.install()
    return Rig(fault.gateway, engine, clock, policy, secrets, stub)


def settle(rig: Rig, clock) -> None:
    """The settlement job, run once the payment is old enough to be reconciled."""
    clock.advance(minutes=5)
    settle_payments(rig.svc, rig.svc.today())


def read(svc, model, *conditions):
    with svc.uow() as uow:
        return uow.session.scalars(select(model).where(*conditions)).all()


def allocated_to(svc, payment_id: int) -> int:
    with svc.uow() as uow:
        return uow.session.scalar(select(func.coalesce(func.sum(PaymentAllocation.amount_cents),
                                                       0)).where(
            PaymentAllocation.payment_id == payment_id))


def notices_about(svc, payment_id: int, status: str) -> list[Notification]:
    return read(svc, Notification, Notification.dedupe_key == f"payment:{payment_id}:{status}")


def assert_known_state(svc, payment: Payment, settled_outcome: str) -> bool:
    """After the faulted step: pending with its key and the member told it is being checked,
    or already settled. True when it was left pending."""
    assert payment.status in ("pending", settled_outcome), payment.status
    if payment.status == "pending":
        notes = [e.note for e in read(svc, PaymentEvent, PaymentEvent.payment_id == payment.id)]
        assert UNANSWERED_NOTE in notes
    return payment.status == "pending"


def settle_until_final(rig: Rig, clock, fault: Fault, payment_id: int) -> Payment:
    rig.arm(fault.at_settlement)
    settle(rig, clock)
    [payment] = read(rig.svc, Payment, Payment.id == payment_id)
    if fault.at_settlement:
        assert payment.status == "pending", "the settlement run met a fault: still pending"
        settle(rig, clock)
        [payment] = read(rig.svc, Payment, Payment.id == payment_id)
    return payment


@on_databases(FAULTS)
def test_a_member_payment_survives_a_fault_at_each_step(rig, fault, clock):
    svc = rig.svc
    member = make_paying_member(svc, coverage_start=dt.date(2026, 12, 1), methods=(VISA,))
    issue_invoices(svc, through=svc.today())
    draft = payments.create_draft(svc, member.account_id, amount_cents=PREMIUM,
                                  method_id=member.method_ids[VISA])
    errors_before = rig.gateway_errors()

    rig.arm(fault.at_charge)
    confirmed = payments.confirm_payment(svc, member.account_id, draft.id)
    left_pending = assert_known_state(svc, confirmed, "succeeded")
    if left_pending:
        assert rig.gateway_errors() > errors_before

    payment = settle_until_final(rig, clock, fault, draft.id)
    assert payment.status == "succeeded"
    assert allocated_to(svc, draft.id) == PREMIUM
    assert rig.charges() == 1
    plan_payment_notices(svc)  # the jobs plan notices again and again: still one
    # Told once, in the chat when it settled at once, by a notice when it settled later.
    assert len(notices_about(svc, draft.id, "succeeded")) == (1 if left_pending else 0)


@on_databases(FAULTS)
def test_an_autopay_charge_survives_a_fault_at_each_step(rig, fault, clock):
    svc = rig.svc
    member = make_paying_member(svc, coverage_start=dt.date(2026, 12, 1), methods=(VISA,))
    issue_invoices(svc, through=svc.today())
    autopay.enroll(svc, member.account_id, method_id=member.method_ids[VISA],
                   amount_rule="full_balance", fixed_amount_cents=None, frequency="monthly",
                   days_before_due=3)
    clock.set(dt.datetime(2026, 11, 20, 11, tzinfo=dt.UTC))  # 3 days before the 23rd

    rig.arm(fault.at_charge)
    [result] = charge_autopay_due(svc, svc.today())
    [payment] = read(svc, Payment, Payment.source == "autopay")
    assert result.status == payment.status
    assert_known_state(svc, payment, "succeeded")

    payment = settle_until_final(rig, clock, fault, payment.id)
    charge_autopay_due(svc, svc.today())  # the next run records the settled attempt
    [charge] = read(svc, AutopayCharge)
    assert (payment.status, charge.status, charge.attempts) == ("succeeded", "charged", 1)
    assert allocated_to(svc, payment.id) == PREMIUM
    assert rig.charges() == 1
    plan_payment_notices(svc)
    assert len(notices_about(svc, payment.id, "succeeded")) == 1


@on_databases([Fault("sandbox", "after_charge"), Fault("stripe", "drop_afterx3")])
def test_a_decline_whose_answer_was_lost_is_found_and_told(rig, fault, clock):
    svc = rig.svc
    token = "pm_card_visa_chargeDeclinedInsufficientFunds"
    member = make_paying_member(svc, coverage_start=dt.date(2026, 12, 1), methods=(token,))
    issue_invoices(svc, through=svc.today())
    draft = payments.create_draft(svc, member.account_id, amount_cents=PREMIUM,
                                  method_id=member.method_ids[token])
    rig.arm(fault.at_charge)
    assert payments.confirm_payment(svc, member.account_id, draft.id).status == "pending"

    payment = settle_until_final(rig, clock, fault, draft.id)
    assert (payment.status, payment.decline_code) == ("declined", "insufficient_funds")
    assert allocated_to(svc, draft.id) == 0
    assert rig.charges() == 1
    [notice] = notices_about(svc, draft.id, "declined")
    assert "didn't go through" in notice.text
