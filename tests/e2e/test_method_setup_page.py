"""The sandbox's hosted page for adding a method, served by uvicorn and used in headless
Chromium on a phone-sized screen: a card, a bank account, a wrong number, a used link and an
expired one. The form's CSRF protection is checked with plain HTTP requests."""

from __future__ import annotations

import html
import logging
import os
import re
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select

from bot.http.app import create_app
from bot.http.background_server import BackgroundServer
from bot.settings import Settings
from services.adapters.clocks import FixedClock
from services.adapters.sandbox_gateway import SandboxGateway
from services.context import Secrets, ServiceConfig
from services.method_setup import start_method_setup
from services.persistence.database import make_engine, make_session_factory
from services.persistence.models import Base, PaymentMethod
from services.policy import load_policy
from tests.conftest import DEFAULT_NOW, build_services
from tests.factories import make_paying_member
from tests.fakes import RecordingNotifier

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CARD = "4242424242424242"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The app on a free port of 127.0.0.1, on its own SQLite database, with a clock tests
    can move and a notifier standing in for the chat."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('pages') / 'pages.db'}")
    Base.metadata.create_all(engine)
    server = BackgroundServer()
    clock, notifier = FixedClock(DEFAULT_NOW), RecordingNotifier()
    gateway = SandboxGateway(make_session_factory(engine), clock, public_base_url=server.url)
    svc = build_services(
        engine, gateway=gateway, clock=clock, policy=load_policy(), notifier=notifier,
        secrets=Secrets(ssn_hash_key=b"e2e-ssn-key", session_key=b"e2e-session-key"),
        config=ServiceConfig(public_base_url=server.url),
    )
    server.start(create_app(SimpleNamespace(settings=Settings(_env_file=None), services=svc)))
    yield SimpleNamespace(url=server.url, svc=svc, clock=clock, notifier=notifier,
                          engine=engine)
    server.stop()
    engine.dispose()


@pytest.fixture(autouse=True)
def fresh_start(site):
    site.clock.set(DEFAULT_NOW)
    site.notifier.sent.clear()


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


@pytest.fixture
def member(site):
    return make_paying_member(site.svc, methods=())


@pytest.fixture
def link(site, member):
    return start_method_setup(site.svc, member.account_id)


def methods_of(site, member) -> list[PaymentMethod]:
    with site.svc.uow() as uow:
        return list(uow.session.scalars(select(PaymentMethod).where(
            PaymentMethod.account_id == member.account_id)))


def database_dump(site) -> str:
    """Every row of every table, as text."""
    with site.engine.connect() as connection:
        return "\n".join(repr(row) for table in Base.metadata.sorted_tables
                         for row in connection.execute(table.select()))


def fill_card(page, number: str, expiry: str = "12/30", cvc: str = "123", zip_code: str = "02108"):
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry date").fill(expiry)
    page.get_by_label("Security code").fill(cvc)
    page.get_by_label("Billing ZIP code").fill(zip_code)


@pytest.mark.browser
def test_a_member_adds_a_card_and_the_chat_hears_of_it(site, page, member, link, caplog):
    caplog.set_level(logging.DEBUG)
    assert link.startswith(f"{site.url}/methods/setup/")
    page.goto(link)
    page.screenshot(path=str(ARTIFACTS / "method_setup_page.png"), full_page=True)
    expect(page.get_by_role("heading", name="Add a payment method")).to_be_visible()
    expect(page.locator("#bank-form")).to_be_hidden()

    fill_card(page, "4242 4242 4242 4242")
    page.get_by_role("button", name="Save card").click()

    expect(page.get_by_role("heading", name="Saved — go back to the chat")).to_be_visible()
    expect(page.get_by_text("Your Visa ending in 4242 is saved.")).to_be_visible()
    [method] = methods_of(site, member)
    assert (method.kind, method.brand, method.last4, method.exp_month, method.exp_year) == (
        "card", "Visa", "4242", 12, 2030)
    assert method.is_default
    assert site.notifier.sent == [(member.account_id,
                                   "Your Visa ending in 4242 is saved. Would you like to pay now?",
                                   [{"title": "Pay now", "payload": "/make_payment"},
                                    {"title": "Something else", "payload": "/help"}])]
    assert CARD not in database_dump(site)
    assert caplog.records, "the server's logs were not captured"
    assert CARD not in caplog.text and "4242+4242" not in caplog.text
    # Nor the link itself: it is a key to the member's account while it lasts.
    assert link.rsplit("/", 1)[1] not in caplog.text


@pytest.mark.browser
def test_a_member_adds_a_bank_account(site, page, member, link):
    page.goto(link)

    page.locator("label[for=show-bank]").click()
    expect(page.locator("#card-form")).to_be_hidden()
    page.get_by_label("Name on the account").fill("Mary O'Neil")
    page.get_by_label("Routing number").fill("110000000")
    page.get_by_label("Account number").fill("000123456789")
    page.get_by_label("Savings").check()
    page.screenshot(path=str(ARTIFACTS / "method_setup_page_bank.png"), full_page=True)
    page.get_by_role("button", name="Save bank account").click()

    expect(page.get_by_role("heading", name="Saved — go back to the chat")).to_be_visible()
    [method] = methods_of(site, member)
    assert (method.kind, method.brand, method.last4) == ("bank_account", "Savings", "6789")
    assert "000123456789" not in database_dump(site)
    assert site.notifier.sent[0][1] == (
        "Your Savings ending in 6789 is saved. Would you like to pay now?")


@pytest.mark.browser
def test_a_wrong_card_number_is_shown_next_to_the_field_and_nothing_is_saved(
        site, page, member, link):
    page.goto(link)

    fill_card(page, "4242 4242 4242 4241")
    page.get_by_role("button", name="Save card").click()

    number = page.get_by_label("Card number")
    expect(number).to_have_attribute("aria-invalid", "true")
    assert "card-number-error" in number.get_attribute("aria-describedby")
    assert "That card number isn't valid" in page.locator("#card-number-error").inner_text()
    expect(page.get_by_role("alert")).to_be_visible()
    # Never written back: not the number, not the security code.
    assert number.input_value() == "" and page.get_by_label("Security code").input_value() == ""
    assert page.get_by_label("Expiry date").input_value() == "12/30"
    assert "4241" not in page.content()
    page.screenshot(path=str(ARTIFACTS / "method_setup_page_error.png"), full_page=True)
    assert methods_of(site, member) == [] and site.notifier.sent == []

    fill_card(page, "4242 4242 4242 4242")
    page.get_by_role("button", name="Save card").click()

    expect(page.get_by_role("heading", name="Saved — go back to the chat")).to_be_visible()
    assert len(methods_of(site, member)) == 1


@pytest.mark.browser
def test_a_used_link_says_so(site, page, member, link):
    page.goto(link)
    fill_card(page, CARD)
    page.get_by_role("button", name="Save card").click()
    expect(page.get_by_role("heading", name="Saved — go back to the chat")).to_be_visible()

    response = page.goto(link)

    assert response.status == 410
    assert "This link has already been used" in page.content()
    assert page.get_by_label("Card number").count() == 0


@pytest.mark.browser
def test_an_expired_link_says_so_even_for_a_page_opened_in_time(site, page, member, link):
    page.goto(link)
    site.clock.advance(minutes=16)

    fill_card(page, CARD)
    page.get_by_role("button", name="Save card").click()

    expect(page.get_by_text("This link has expired")).to_be_visible()
    assert methods_of(site, member) == []
    assert page.goto(link).status == 410


# --- the form's protection, with plain HTTP requests -------------------------------------------


def csrf_field(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def card_form(**fields) -> dict[str, str]:
    return {"kind": "card", "number": CARD, "expiry": "12/30", "cvc": "123",
            "postal_code": "02108", **fields}


def test_a_post_without_the_csrf_field_is_refused(site, member, link):
    with httpx.Client() as client:
        client.get(link)  # the cookie is set; the field is left out
        response = client.post(link, data=card_form())

    assert response.status_code == 403
    assert methods_of(site, member) == []


def test_a_csrf_field_without_its_cookie_or_for_another_link_is_refused(site, member, link):
    other_link = start_method_setup(site.svc, make_paying_member(site.svc, methods=()).account_id)
    with httpx.Client() as client:
        field = csrf_field(client.get(other_link).text)
        borrowed = client.post(link, data=card_form(csrf_token=field))
    without_cookie = httpx.post(link, data=card_form(csrf_token=field))

    assert (borrowed.status_code, without_cookie.status_code) == (403, 403)
    assert methods_of(site, member) == []


def test_a_post_from_another_site_is_refused(site, member, link):
    with httpx.Client() as client:
        field = csrf_field(client.get(link).text)
        forged = client.post(link, data=card_form(csrf_token=field),
                             headers={"Origin": "https://attacker.example"})
        genuine = client.post(link, data=card_form(csrf_token=field),
                              headers={"Origin": site.url})

    assert (forged.status_code, genuine.status_code) == (403, 200)
    assert len(methods_of(site, member)) == 1


def test_an_unknown_link_is_not_found(site):
    response = httpx.get(f"{site.url}/methods/setup/not-a-real-token")

    assert response.status_code == 404
    assert "This link isn't valid" in html.unescape(response.text)


def test_the_pages_allow_no_outside_assets_or_framing(site, link):
    response = httpx.get(link)

    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["referrer-policy"] == "same-origin"
    assert not re.search(r'(src|href)="https?://', response.text)


def test_the_return_page_of_a_gateways_hosted_setup(site):
    response = httpx.get(f"{site.url}/methods/setup/done")

    assert response.status_code == 200 and "Saved — go back to the chat" in response.text
