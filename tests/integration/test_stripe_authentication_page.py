# ruff: noqa: F811 - the fixtures are test_stripe_payment_return's own, imported below
"""/payments/authenticate/{pi} with the Stripe gateway, on SQLite and PostgreSQL: the page
exists in Stripe mode, a link preview (GET) changes nothing at Stripe, the member's post
(with its CSRF token) confirms the same PaymentIntent with the payment's own return URL."""

from __future__ import annotations

import re

from sqlalchemy import select

from services.member_language import save_language
from services.persistence.models import Notification
from tests.stripe_stub import use_stripe_sdk_action

from .test_stripe_payment_return import (  # noqa: F401 - fixtures
    client,
    stripe_stub,
    svc,
    waiting_payment,
)


def csrf_field(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def left_to_stripe_js(stripe_stub, payment) -> str:
    stripe_stub.intents[payment.gateway_ref]["next_action"] = use_stripe_sdk_action()
    return f"/payments/authenticate/{payment.gateway_ref}"


def confirms(stripe_stub, payment):
    return stripe_stub.requests_to("POST", f"/v1/payment_intents/{payment.gateway_ref}/confirm")


def test_opening_the_link_shows_the_payment_and_asks_stripe_nothing(client, stripe_stub,
                                                                    waiting_payment):
    path = left_to_stripe_js(stripe_stub, waiting_payment)
    before = len(stripe_stub.requests)

    page = client.get(path)

    assert page.status_code == 200
    assert waiting_payment.reference in page.text and "$412.50" in page.text
    assert len(stripe_stub.requests) == before


def test_the_members_post_confirms_the_same_intent_with_its_return_url(
        client, svc, stripe_stub, waiting_payment):
    path = left_to_stripe_js(stripe_stub, waiting_payment)
    form = client.get(path)

    answer = client.post(path, data={"csrf_token": csrf_field(form.text)})

    assert answer.status_code == 200 and "Open the secure page" in answer.text
    [confirm] = confirms(stripe_stub, waiting_payment)
    assert confirm.params["return_url"] == waiting_payment.return_url
    issuer_page = stripe_stub.intents[waiting_payment.gateway_ref]["next_action"][
        "redirect_to_url"]["url"]
    assert issuer_page in answer.text
    assert stripe_stub.intents_created == 1 and stripe_stub.refused == []


def test_a_post_without_the_forms_token_is_refused(client, stripe_stub, waiting_payment):
    path = left_to_stripe_js(stripe_stub, waiting_payment)
    client.get(path)

    assert client.post(path, data={}).status_code == 403
    assert confirms(stripe_stub, waiting_payment) == []


def test_a_payment_no_longer_waiting_says_there_is_nothing_to_confirm(
        client, svc, stripe_stub, waiting_payment):
    stripe_stub.authenticate(waiting_payment.gateway_ref)
    client.get("/payments/return", params={"payment_intent": waiting_payment.gateway_ref})

    page = client.get(f"/payments/authenticate/{waiting_payment.gateway_ref}")

    assert page.status_code == 410 and "Nothing to confirm" in page.text
    with svc.uow() as uow:
        assert uow.session.scalar(select(Notification.dedupe_key)) == \
            f"payment:{waiting_payment.id}:succeeded"


def test_stripe_not_answering_gets_a_clear_page(client, stripe_stub, waiting_payment):
    path = left_to_stripe_js(stripe_stub, waiting_payment)
    form = client.get(path)
    stripe_stub.fail_next("500", times=3)

    answer = client.post(path, data={"csrf_token": csrf_field(form.text)})

    assert answer.status_code == 503 and "Nothing was charged" in answer.text


def test_a_spanish_members_pages_and_notice_are_spanish(client, svc, stripe_stub,
                                                        waiting_payment):
    save_language(svc, waiting_payment.account_id, "es")
    path = left_to_stripe_js(stripe_stub, waiting_payment)
    form = client.get(path)
    assert '<html lang="es">' in form.text and "Confirme su pago" in form.text
    answer = client.post(path, data={"csrf_token": csrf_field(form.text)})
    assert "Abrir la página segura" in answer.text

    stripe_stub.authenticate(waiting_payment.gateway_ref, approve=True)
    back = client.get("/payments/return", params={"payment_intent": waiting_payment.gateway_ref})
    assert '<html lang="es">' in back.text and "Pago recibido" in back.text
    assert f"Su referencia es {waiting_payment.reference}" in back.text
    with svc.uow() as uow:
        [notice] = uow.session.scalars(select(Notification.text).where(
            Notification.kind == "payment_result"))
    assert notice.startswith("Su pago de $412.50 con su Visa que termina en 4242 se completó")
