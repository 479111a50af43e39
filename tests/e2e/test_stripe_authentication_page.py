"""3-D Secure with the Stripe gateway, in headless Chromium against the Stripe stub: a member
sent /payments/authenticate/{pi} (an autopay charge the issuer declined because nobody was
there to authenticate, or an intent left to Stripe.js) goes to the issuer's page, completes
or fails it, and lands on /payments/return with the outcome; the same PaymentIntent is
completed, never a second one."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select

from bot.http.app import create_app
from bot.http.background_server import BackgroundServer
from bot.settings import Settings
from services import autopay, autopay_charges, payments
from services.adapters.clocks import FixedClock
from services.billing import issue_invoices
from services.context import Secrets, ServiceConfig
from services.payment_notices import plan_payment_notices
from services.persistence.database import make_engine
from services.persistence.models import Base, Notification, Payment
from services.policy import load_policy
from tests.conftest import DEFAULT_NOW, build_services
from tests.factories import make_paying_member
from tests.stripe_stub import StripeStub, stub_gateway, use_stripe_sdk_action

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
THREE_DS = "pm_card_authenticationRequired"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('3ds') / 'pages.db'}")
    Base.metadata.create_all(engine)
    server = BackgroundServer()
    with StripeStub() as stub:
        clock = FixedClock(DEFAULT_NOW)
        svc = build_services(
            engine, gateway=stub_gateway(stub, public_base_url=server.url), clock=clock,
            policy=load_policy(),
            secrets=Secrets(ssn_hash_key=b"e2e-ssn-key", session_key=b"e2e-session-key"),
            config=ServiceConfig(public_base_url=server.url))
        settings = Settings(_env_file=None, PAYMENT_GATEWAY="stripe")
        server.start(create_app(SimpleNamespace(settings=settings, services=svc)))
        yield SimpleNamespace(url=server.url, svc=svc, clock=clock, stub=stub)
        server.stop()
    engine.dispose()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium must be installed under CI ({CHROMIUM} is missing)")
        pytest.skip(f"headless Chromium not installed ({CHROMIUM}): apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-gpu"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    yield context.new_page()
    context.close()


def declined_autopay(site) -> Payment:
    """An autopay charge the issuer declined off-session: authentication_required."""
    svc = site.svc
    site.clock.set(DEFAULT_NOW)
    member = make_paying_member(svc, coverage_start=dt.date(2026, 12, 1), methods=(THREE_DS,))
    issue_invoices(svc, through=svc.today())
    autopay.enroll(svc, member.account_id, method_id=member.method_ids[THREE_DS],
                   amount_rule="full_balance", fixed_amount_cents=None, frequency="monthly",
                   days_before_due=10)
    site.clock.set(dt.datetime(2026, 11, 13, 15, tzinfo=dt.UTC))
    [result] = autopay_charges.charge_autopay_due(svc, dt.date(2026, 11, 13))
    assert (result.status, result.decline_code) == ("declined", "authentication_required")
    return payment_of(site, result.reference)


def payment_of(site, reference: str) -> Payment:
    with site.svc.uow() as uow:
        return uow.session.scalar(select(Payment).where(Payment.reference == reference))


def notices_about(site, payment: Payment) -> list[str]:
    with site.svc.uow() as uow:
        return list(uow.session.scalars(select(Notification.dedupe_key).where(
            Notification.dedupe_key.like(f"payment:{payment.id}:%"))))


@pytest.mark.browser
def test_a_member_finishes_a_declined_autopay_charge_on_the_issuers_page(site, page):
    payment = declined_autopay(site)
    assert payment.action_url == f"{site.url}/payments/authenticate/{payment.gateway_ref}"
    plan_payment_notices(site.svc, payment_ids=[payment.id])
    with site.svc.uow() as uow:
        told = uow.session.scalar(select(Notification.text).where(
            Notification.dedupe_key == f"payment:{payment.id}:declined"))
    assert told.endswith(f"confirm it on this secure page: {payment.action_url}")

    page.goto(payment.action_url)
    expect(page.get_by_role("heading", name="Confirm your payment")).to_be_visible()
    expect(page.get_by_text(payment.reference)).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "stripe_authentication_page.png"), full_page=True)
    page.get_by_role("button", name="Continue to the secure page").click()
    page.get_by_role("link", name="Open the secure page").click()

    expect(page.get_by_role("heading", name="3D Secure 2 Test Page")).to_be_visible()
    assert page.url.startswith(f"{site.stub.url}/3d_secure_2/hosted?")
    page.get_by_role("button", name="Complete").click()

    expect(page.get_by_role("heading", name="Payment received")).to_be_visible()
    assert page.url.startswith(f"{site.url}/payments/return?")
    settled = payment_of(site, payment.reference)
    assert (settled.status, settled.gateway_ref) == ("succeeded", payment.gateway_ref)
    assert site.stub.intents[payment.gateway_ref]["status"] == "succeeded"
    assert len(site.stub.requests_to("POST", "/v1/payment_intents")) >= 1
    assert f"payment:{payment.id}:succeeded" in notices_about(site, payment)
    # Done: the link now says there is nothing to confirm.
    page.goto(payment.action_url)
    expect(page.get_by_role("heading", name="Nothing to confirm")).to_be_visible()


@pytest.mark.browser
def test_a_failed_authentication_takes_nothing(site, page):
    payment = declined_autopay(site)

    page.goto(payment.action_url)
    page.get_by_role("button", name="Continue to the secure page").click()
    page.get_by_role("link", name="Open the secure page").click()
    page.get_by_role("button", name="Fail").click()

    expect(page.get_by_role("heading", name="Payment not completed")).to_be_visible()
    assert payment_of(site, payment.reference).status == "declined"
    assert site.stub.intents[payment.gateway_ref]["status"] == "requires_payment_method"


@pytest.mark.browser
def test_an_intent_left_to_stripe_js_is_confirmed_with_a_return_url(site, page):
    svc = site.svc
    site.clock.set(DEFAULT_NOW)
    member = make_paying_member(svc, coverage_start=dt.date(2026, 11, 1), methods=(THREE_DS,))
    issue_invoices(svc, through=svc.today())
    draft = payments.create_draft(svc, member.account_id, amount_cents=41_250,
                                  method_id=member.method_ids[THREE_DS])
    payment = payments.confirm_payment(svc, member.account_id, draft.id)
    site.stub.intents[payment.gateway_ref]["next_action"] = use_stripe_sdk_action()
    page_url = f"{site.url}/payments/authenticate/{payment.gateway_ref}"

    page.goto(page_url)
    page.get_by_role("button", name="Continue to the secure page").click()
    page.get_by_role("link", name="Open the secure page").click()
    page.get_by_role("button", name="Complete").click()

    expect(page.get_by_role("heading", name="Payment received")).to_be_visible()
    assert payment_of(site, payment.reference).status == "succeeded"
    [confirm] = site.stub.requests_to("POST", f"/v1/payment_intents/{payment.gateway_ref}/confirm")
    assert confirm.params["return_url"] == f"{site.url}/payments/return"
    assert site.stub.refused == []
