"""/payments/authenticate/{pi}: where, with the Stripe gateway, a member finishes a payment
that needs 3-D Secure — an autopay charge the issuer declined because the member was not
there to authenticate, or an on-session one Stripe left to its own script. The member is
brought back on-session to complete the same PaymentIntent: the page confirms it with a
return URL and sends the browser to the issuer's page, which comes back to /payments/return.

The link goes out in chat, and chat apps fetch links to preview them, so the GET only shows
the payment; the member's own button press (a POST with a CSRF token) confirms it. The issuer's
page is then a link, not a redirect of the form post: the pages' Content-Security-Policy
(form-action 'self') stops a form's redirect to another site, and the issuer's address is not
known in advance.
"""

from __future__ import annotations

from html import escape
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.http import csrf
from bot.http.html_pages import form_refused_page, html_page, message_page, nothing_to_confirm_page
from services.errors import GatewayUnavailable
from services.money import format_cents
from services.payment_updates import payment_to_authenticate
from services.ports import PAYMENT_RETURN_PATH

router = APIRouter(tags=["hosted pages"])

@router.get("/payments/authenticate/{gateway_ref}", response_class=HTMLResponse)
def authentication_page(request: Request, gateway_ref: str) -> HTMLResponse:
    svc = request.app.state.runtime.services
    payment = payment_to_authenticate(svc, gateway_ref)
    if payment is None:
        return nothing_to_confirm_page()
    field_value, nonce = csrf.issue(request, svc.secrets.session_key, gateway_ref)
    main = f"""<h1>Confirm your payment</h1>
<p>Payment <strong>{escape(payment.reference)}</strong> of
<strong>{format_cents(payment.amount_cents)}</strong> to {escape(svc.policy.name)} needs your
card issuer's confirmation. You'll go to its secure page, then come back here.</p>
<form method="post">
<input type="hidden" name="{csrf.FIELD}" value="{escape(field_value)}">
<button type="submit">Continue to the secure page</button>
</form>"""
    response = html_page("Confirm your payment", main)
    csrf.set_cookie(response, nonce, path=f"/payments/authenticate/{gateway_ref}",
                    secure=svc.config.public_base_url.startswith("https://"))
    return response


@router.post("/payments/authenticate/{gateway_ref}", response_class=HTMLResponse)
def continue_to_authentication(request: Request, gateway_ref: str,
                               csrf_token: Annotated[str, Form()] = "") -> Response:
    svc = request.app.state.runtime.services
    if not csrf.verify(request, csrf_token, svc.secrets.session_key, gateway_ref,
                       public_base_url=svc.config.public_base_url):
        return form_refused_page()
    payment = payment_to_authenticate(svc, gateway_ref)
    if payment is None:
        return nothing_to_confirm_page()
    try:
        url = svc.gateway.resume_authentication(gateway_ref, return_url=payment.return_url)
    except GatewayUnavailable:
        return message_page("We couldn't reach the payment service",
                            "Nothing was charged. Please try again in a few minutes.",
                            status_code=503)
    if url is None:
        # Nothing left to authenticate (or declined outright): the return page reads it.
        return RedirectResponse(f"{PAYMENT_RETURN_PATH}?payment_intent={quote(gateway_ref)}",
                                status_code=303)
    return html_page("Confirm your payment", f"""<h1>Your card issuer's page is ready</h1>
<p>Confirm payment <strong>{escape(payment.reference)}</strong> there; you'll come back here
when it's done.</p>
<p><a class="button" href="{escape(url)}">Open the secure page</a></p>""")
