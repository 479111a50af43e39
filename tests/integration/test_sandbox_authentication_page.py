"""The sandbox's 3-D Secure page on SQLite and PostgreSQL: the member approves or declines a
payment that needs confirming, the payment moves, and its notice waits in the outbox."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.http.app import create_app
from bot.settings import Settings
from services import payments
from services.adapters.sandbox_gateway import SandboxGateway
from services.billing import issue_invoices
from services.persistence.database import make_session_factory
from services.persistence.models import Notification, Payment
from tests.conftest import build_services
from tests.factories import make_paying_member

THREE_D_SECURE = "pm_card_authenticationRequired"


@pytest.fixture
def svc(engine, clock, policy, secrets):
    gateway = SandboxGateway(make_session_factory(engine), clock)
    return build_services(engine, gateway=gateway, clock=clock, policy=policy, secrets=secrets)


@pytest.fixture
def client(svc):
    runtime = SimpleNamespace(settings=Settings(_env_file=None), services=svc)
    with TestClient(create_app(runtime)) as client:
        yield client


@pytest.fixture
def payment(svc):
    member = make_paying_member(svc, coverage_start=dt.date(2026, 11, 1),
                                methods=(THREE_D_SECURE,))
    issue_invoices(svc, through=svc.today())
    draft = payments.create_draft(svc, member.account_id, amount_cents=41_250,
                                  method_id=member.method_ids[THREE_D_SECURE])
    payment = payments.confirm_payment(svc, member.account_id, draft.id)
    assert payment.status == "requires_action"
    return payment


def page_path(payment) -> str:
    return urlsplit(payment.action_url).path


def csrf_field(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def notices(svc) -> list[Notification]:
    with svc.uow() as uow:
        return list(uow.session.scalars(select(Notification)))


def status_of(svc, payment) -> Payment:
    with svc.uow() as uow:
        return uow.session.get(Payment, payment.id)


def test_the_member_approves_and_the_payment_goes_through(client, svc, payment):
    form = client.get(page_path(payment))
    assert form.status_code == 200
    assert payment.reference in form.text and "$412.50" in form.text

    answer = client.post(page_path(payment), data={"decision": "approve",
                                                   "csrf_token": csrf_field(form.text)})

    assert answer.status_code == 200 and "Payment approved" in answer.text
    assert status_of(svc, payment).status == "succeeded"
    [notice] = notices(svc)
    assert notice.dedupe_key == f"payment:{payment.id}:succeeded"
    assert payment.reference in notice.text
    assert client.get(page_path(payment)).status_code == 410


def test_the_member_declines_and_is_told_nothing_was_taken(client, svc, payment):
    form = client.get(page_path(payment))

    answer = client.post(page_path(payment), data={"decision": "decline",
                                                   "csrf_token": csrf_field(form.text)})

    assert "Payment not confirmed" in answer.text
    declined = status_of(svc, payment)
    assert (declined.status, declined.decline_code) == (
        "declined", "payment_intent_authentication_failure")
    [notice] = notices(svc)
    assert notice.dedupe_key == f"payment:{payment.id}:declined"
    assert "wasn't confirmed on the secure page" in notice.text
    assert {"title": "Try again", "payload": "/make_payment"} in notice.buttons


def test_an_answer_without_the_forms_token_is_refused(client, svc, payment):
    client.get(page_path(payment))

    answer = client.post(page_path(payment), data={"decision": "approve"})

    assert answer.status_code == 403
    assert status_of(svc, payment).status == "requires_action" and notices(svc) == []


def test_a_page_for_no_waiting_payment_says_there_is_nothing_to_confirm(client):
    response = client.get("/sandbox/authenticate/pi_sandbox_unknown")

    assert response.status_code == 410 and "Nothing to confirm" in response.text
