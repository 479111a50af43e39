"""The sandbox gateway's ledger and the one-time setup links on SQLite and PostgreSQL: one charge
per key and one method per link, even when workers race."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from services import payment_methods as pm
from services.adapters.sandbox_gateway import SandboxGateway
from services.errors import IdempotencyConflict, NotAllowed
from services.persistence.database import make_session_factory
from services.persistence.models import (
    Account,
    Enrollment,
    PaymentMethod,
    SandboxCharge,
    SandboxMethod,
)
from services.ports import ChargeRequest
from tests.conftest import build_services


@pytest.fixture
def gateway(engine, clock):
    return SandboxGateway(make_session_factory(engine), clock)


@pytest.fixture
def svc(engine, gateway, clock, policy, secrets):
    return build_services(engine, gateway=gateway, clock=clock, policy=policy, secrets=secrets)


def request(token="pm_card_visa", *, key="k", amount=12_000):
    return ChargeRequest(amount_cents=amount, method_token=token, idempotency_key=key)


def race(times: int, action) -> tuple[list, list]:
    """Run `action` in `times` threads released at once; (results, errors)."""
    barrier = threading.Barrier(times)
    results, errors = [], []

    def run():
        barrier.wait()
        try:
            results.append(action())
        except Exception as exc:  # noqa: BLE001 - the caller asserts on what went wrong
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def test_ledger_keeps_one_charge_per_key(gateway):
    first = gateway.charge(request())
    assert gateway.charge(request()) == first
    with pytest.raises(IdempotencyConflict):
        gateway.charge(request(amount=12_001))
    assert gateway.charge_count() == 1


def test_racing_workers_with_one_key_make_one_charge(gateway):
    results, errors = race(6, lambda: gateway.charge(request(key="race")))
    assert errors == []
    assert len({result.gateway_ref for result in results}) == 1
    assert gateway.charge_count() == 1


def test_bank_debit_settlement_is_persisted(gateway, clock, engine):
    saved = gateway.tokenize_bank_account("110000000", "000222222227", "Pat Doe", "checking")
    processing = gateway.charge(request(saved.token, key="ach"))
    assert processing.status == "processing"
    clock.advance(days=8)
    settled = gateway.retrieve(idempotency_key="ach", gateway_ref=None)
    assert (settled.status, settled.decline_code) == ("declined", "insufficient_funds")
    with make_session_factory(engine)() as session:
        row = session.scalar(select(SandboxCharge))
        assert (row.status, row.first_status, row.settles_on) == (
            "declined", "processing", dt.date(2026, 11, 23))
        method = session.scalar(select(SandboxMethod))
        assert (method.behaviour, method.last4) == ("pm_usBankAccount_insufficientFunds", "2227")


def _account(svc) -> int:
    with svc.uow() as uow:
        enrollment = Enrollment(member_id="000000000001", full_name="Pat Doe",
                                date_of_birth=dt.date(1980, 1, 1), ssn_hash="0" * 64,
                                ssn_last4="1234", email="pat@example.test",
                                subsidy_type="unsubsidized")
        uow.session.add(enrollment)
        uow.session.flush()
        account = Account(enrollment_id=enrollment.id, username="pat", password_hash="x",
                          security_question_1="q1", security_answer_1_hash="a1",
                          security_question_2="q2", security_answer_2_hash="a2",
                          created_at=svc.now())
        uow.session.add(account)
        uow.commit()
        return account.id


def test_setup_link_adds_a_tokenized_card_once(svc, gateway):
    account = _account(svc)
    token = pm.create_setup_token(svc, account).rsplit("/", 1)[1]
    assert pm.check_setup_token(svc, token) == account
    saved = gateway.tokenize_card("4242 4242 4242 4242", 12, 2030, "123", "02108")
    method = pm.redeem_setup_token(svc, token, saved, nickname="Everyday")
    assert (method.gateway_token, method.is_default) == (saved.token, True)
    with pytest.raises(NotAllowed):
        pm.redeem_setup_token(svc, token, saved)
    assert gateway.charge(request(method.gateway_token)).status == "succeeded"


def test_racing_redeems_of_one_link_add_one_method(svc, gateway):
    account = _account(svc)
    token = pm.create_setup_token(svc, account).rsplit("/", 1)[1]
    saved = gateway.describe("pm_card_visa")
    results, errors = race(4, lambda: pm.redeem_setup_token(svc, token, saved))
    assert len(results) == 1
    assert len(errors) == 3 and all(isinstance(e, NotAllowed) for e in errors)
    with svc.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(PaymentMethod)) == 1
