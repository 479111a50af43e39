"""The sandbox's 3-D Secure page (/sandbox/authenticate/CHARGE): where, with a real card, the
card issuer would ask the member to confirm a payment. The member approves or declines the
test payment; the payment is then read back from the gateway and the member told in chat.
"""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from bot.http import csrf
from bot.http.html_pages import form_refused_page, html_page, message_page, nothing_to_confirm_page
from services.money import format_cents
from services.payment_updates import payment_awaiting_authentication, refresh_after_authentication

router = APIRouter(tags=["hosted pages"])

@router.get("/sandbox/authenticate/{charge_ref}", response_class=HTMLResponse)
def authentication_form(request: Request, charge_ref: str) -> HTMLResponse:
    svc = request.app.state.runtime.services
    payment = payment_awaiting_authentication(svc, charge_ref)
    if payment is None:
        return nothing_to_confirm_page()
    field_value, nonce = csrf.issue(request, svc.secrets.session_key, charge_ref)
    main = f"""<h1>Confirm your payment</h1>
<p class="note">Test mode: this stands in for the page where your card issuer asks you to
confirm a payment.</p>
<p>Payment <strong>{escape(payment.reference)}</strong> of
<strong>{format_cents(payment.amount_cents)}</strong> to {escape(svc.policy.name)}.</p>
<form method="post">
<input type="hidden" name="{csrf.FIELD}" value="{escape(field_value)}">
<button type="submit" name="decision" value="approve">Approve this test payment</button>
<button type="submit" name="decision" value="decline" class="secondary">Decline it</button>
</form>"""
    response = html_page("Confirm your payment", main)
    csrf.set_cookie(response, nonce, path=f"/sandbox/authenticate/{charge_ref}",
                    secure=svc.config.public_base_url.startswith("https://"))
    return response


@router.post("/sandbox/authenticate/{charge_ref}", response_class=HTMLResponse)
def answer_authentication(request: Request, charge_ref: str,
                          decision: Annotated[str, Form()] = "",
                          csrf_token: Annotated[str, Form()] = "") -> HTMLResponse:
    svc = request.app.state.runtime.services
    if not csrf.verify(request, csrf_token, svc.secrets.session_key, charge_ref,
                       public_base_url=svc.config.public_base_url):
        return form_refused_page()
    if payment_awaiting_authentication(svc, charge_ref) is None:
        return nothing_to_confirm_page()
    svc.gateway.complete_authentication(charge_ref, approve=decision == "approve")
    payment = refresh_after_authentication(svc, charge_ref)
    if payment is not None and payment.status == "succeeded":
        return message_page("Payment approved — go back to the chat",
                            f"Your payment {payment.reference} of "
                            f"{format_cents(payment.amount_cents)} has gone through.")
    return message_page("Payment not confirmed — go back to the chat",
                        "The payment didn't go through and no money was taken.",
                        "Go back to the chat to try again or pay another way.")
