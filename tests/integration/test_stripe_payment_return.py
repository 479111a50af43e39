"""GET /payments/return: the member comes back from Stripe's 3-D Secure page."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from bot.http.app import create_app
from bot.settings import Settings
from services import payments
from services.billing import issue_invoices
from services.persistence.models import Payment
from tests.conftest import build_services
from tests.factories import make_paying_member
from tests.fakes import RecordingNotifier
from tests.stripe_stub import StripeStub, stub_gateway

THREE_DS = "pm_card_authenticationRequired"


@pytest.fixture
def stripe_stub():
    with StripeStub() as stub:
        yield stub


@pytest.fixture
def svc(engine, stripe_stub, clock, policy, secrets):
    return build_services(engine, gateway=stub_gateway(stripe_stub), clock=clock, policy=policy,
                          secrets=secrets, notifier=RecordingNotifier())


@pytest.fixture
def client(svc):
    settings = Settings(_env_file=None, PAYMENT_GATEWAY="stripe")
    with TestClient(create_app(SimpleNamespace(settings=settings, services=svc))) as client:
        yield client


@pytest.fixture
def waiting_payment(svc):
    member = make_paying_member(svc, coverage_start=dt.date(2026, 11, 1), methods=(THREE_DS,))
    issue_invoices(svc, through=svc.today())
    draft = payments.create_draft(svc, member.account_id, amount_cents=41_250,
                                  method_id=member.method_ids[THREE_DS])
    payment = payments.confirm_payment(svc, member.account_id, draft.id)
    assert payment.status == "requires_action" and payment.action_url
    return payment


@pytest.mark.parametrize("approve, status, heading", [
    (True, "succeeded", "Payment received"),
    (False, "declined", "Payment not completed"),
])
def test_the_outcome_is_read_from_stripe_and_applied_once(client, svc, stripe_stub,
                                                          waiting_payment, approve, status,
                                                          heading):
    stripe_stub.authenticate(waiting_payment.gateway_ref, approve=approve)

    for _ in range(2):  # a reload of the page changes nothing more
        page = client.get("/payments/return",
                          params={"payment_intent": waiting_payment.gateway_ref})
        assert page.status_code == 200 and heading in page.text

    with svc.uow() as uow:
        stored = uow.session.get(Payment, waiting_payment.id)
        assert stored.status == status
        assert (stored.settled_at is not None) == approve
    assert stripe_stub.intents_created == 1


def test_a_typed_url_naming_no_payment_changes_nothing(client, waiting_payment):
    assert client.get("/payments/return", params={"payment_intent": "pi_unknown"}
                      ).status_code == 404
    assert client.get("/payments/return", params={"payment_intent": "<script>"}
                      ).status_code == 404
