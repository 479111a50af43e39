# ruff: noqa: F811 - the fixtures are test_method_setup_page's own, imported below
"""The hosted pages for a member whose account says Spanish, in headless Chromium: the card page
(with a wrong number, then a good one) and the sandbox's 3-D Secure page read in Spanish, say
`lang="es"`, and the chat hears of the saved card in Spanish. An English member's pages stay
English."""

from __future__ import annotations

import datetime as dt

import httpx
from playwright.sync_api import expect

from services import payments
from services.billing import issue_invoices
from services.member_language import save_language
from services.method_setup import start_method_setup
from tests.factories import make_paying_member
from tests.spanish_text import assert_spanish

from .test_method_setup_page import (  # noqa: F401 - fixtures
    CARD,
    browser,
    fresh_start,
    page,
    site,
)

THREE_D_SECURE = "pm_card_authenticationRequired"


def spanish_member(site, methods=()):
    member = make_paying_member(site.svc, coverage_start=dt.date(2026, 11, 1), methods=methods)
    save_language(site.svc, member.account_id, "es")
    return member


def assert_page_is_spanish(page) -> None:
    assert page.locator("html").get_attribute("lang") == "es"
    for line in page.locator("main").inner_text().splitlines():
        if line.strip() and line.strip() != "HealthPay":
            assert_spanish(line)


def test_a_spanish_member_adds_a_card_on_a_spanish_page(site, page):
    member = spanish_member(site)
    page.goto(start_method_setup(site.svc, member.account_id))
    expect(page.get_by_role("heading", name="Agregar un método de pago")).to_be_visible()
    assert_page_is_spanish(page)

    page.get_by_label("Número de tarjeta").fill("4242424242424241")
    page.get_by_label("Fecha de vencimiento").fill("12/30")
    page.get_by_label("Código de seguridad").fill("123")
    page.get_by_label("Código postal de facturación").fill("02108")
    page.get_by_role("button", name="Guardar tarjeta").click()
    expect(page.get_by_role("alert")).to_contain_text("Revise el número de la tarjeta")
    assert_page_is_spanish(page)

    page.get_by_label("Número de tarjeta").fill(CARD)
    page.get_by_label("Código de seguridad").fill("123")
    page.get_by_role("button", name="Guardar tarjeta").click()
    expect(page.get_by_role("heading", name="Guardado: vuelva al chat")).to_be_visible()
    expect(page.get_by_text("Su Visa que termina en 4242 quedó guardada.")).to_be_visible()
    assert_page_is_spanish(page)
    [(_, text, buttons)] = site.notifier.sent
    assert text == "Su Visa que termina en 4242 quedó guardada. ¿Quiere pagar ahora?"
    assert [b["title"] for b in buttons] == ["Pagar ahora", "Otra cosa"]


def test_a_spanish_member_confirms_a_payment_on_a_spanish_secure_page(site, page):
    member = spanish_member(site, methods=(THREE_D_SECURE,))
    issue_invoices(site.svc, through=site.svc.today())
    draft = payments.create_draft(site.svc, member.account_id, amount_cents=41_250,
                                  method_id=member.method_ids[THREE_D_SECURE])
    payment = payments.confirm_payment(site.svc, member.account_id, draft.id)
    assert payment.status == "requires_action"

    page.goto(payment.action_url)
    expect(page.get_by_role("heading", name="Confirme su pago")).to_be_visible()
    expect(page.get_by_text("$412.50")).to_be_visible()
    assert_page_is_spanish(page)
    page.get_by_role("button", name="Aprobar este pago de prueba").click()
    expect(page.get_by_role("heading", name="Pago aprobado: vuelva al chat")).to_be_visible()
    assert_page_is_spanish(page)

    page.goto(payment.action_url)  # confirmed: nothing is left to confirm
    expect(page.get_by_role("heading", name="No hay nada que confirmar")).to_be_visible()
    assert_page_is_spanish(page)


def test_an_english_members_page_stays_english(site):
    member = make_paying_member(site.svc, methods=())
    response = httpx.get(start_method_setup(site.svc, member.account_id))
    assert '<html lang="en">' in response.text and "Add a payment method" in response.text


def test_a_used_link_says_so_in_spanish(site, page):
    member = spanish_member(site)
    link = start_method_setup(site.svc, member.account_id)
    page.goto(link)
    page.get_by_label("Número de tarjeta").fill(CARD)
    page.get_by_label("Fecha de vencimiento").fill("12/30")
    page.get_by_label("Código de seguridad").fill("123")
    page.get_by_label("Código postal de facturación").fill("02108")
    page.get_by_role("button", name="Guardar tarjeta").click()
    expect(page.get_by_role("heading", name="Guardado: vuelva al chat")).to_be_visible()
    page.goto(link)
    expect(page.get_by_role("heading", name="Este enlace no se puede usar")).to_be_visible()
    assert page.locator("html").get_attribute("lang") == "es"
