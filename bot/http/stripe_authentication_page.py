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
from bot.http.page_texts import words_for
from services.errors import GatewayUnavailable
from services.formatting import money
from services.member_language import language_of_payment
from services.payment_updates import payment_to_authenticate
from services.ports import PAYMENT_RETURN_PATH

router = APIRouter(tags=["hosted pages"])


@router.get("/payments/authenticate/{gateway_ref}", response_class=HTMLResponse)
def authentication_page(request: Request, gateway_ref: str) -> HTMLResponse:
    svc = request.app.state.runtime.services
    language = language_of_payment(svc, gateway_ref)
    payment = payment_to_authenticate(svc, gateway_ref)
    if payment is None:
        return nothing_to_confirm_page(language)
    words = words_for(language, "stripe_authentication")
    field_value, nonce = csrf.issue(request, svc.secrets.session_key, gateway_ref)
    main = f"""<h1>{escape(words("heading"))}</h1>
<p>{words("payment", reference=escape(payment.reference),
          amount=escape(money(payment.amount_cents, words.language)),
          exchange=escape(svc.policy.name))}</p>
<form method="post">
<input type="hidden" name="{csrf.FIELD}" value="{escape(field_value)}">
<button type="submit">{escape(words("continue"))}</button>
</form>"""
    response = html_page(words("title"), main, language=words.language)
    csrf.set_cookie(response, nonce, path=f"/payments/authenticate/{gateway_ref}",
                    secure=svc.config.public_base_url.startswith("https://"))
    return response


@router.post("/payments/authenticate/{gateway_ref}", response_class=HTMLResponse)
def continue_to_authentication(request: Request, gateway_ref: str,
                               csrf_token: Annotated[str, Form()] = "") -> Response:
    svc = request.app.state.runtime.services
    language = language_of_payment(svc, gateway_ref)
    if not csrf.verify(request, csrf_token, svc.secrets.session_key, gateway_ref,
                       public_base_url=svc.config.public_base_url):
        return form_refused_page(language)
    payment = payment_to_authenticate(svc, gateway_ref)
    if payment is None:
        return nothing_to_confirm_page(language)
    words = words_for(language, "stripe_authentication")
    try:
        url = svc.gateway.resume_authentication(gateway_ref, return_url=payment.return_url)
    except GatewayUnavailable:
        return message_page(words("unavailable_title"), words("unavailable"),
                            language=words.language, status_code=503)
    if url is None:
        # Nothing left to authenticate (or declined outright): the return page reads it.
        return RedirectResponse(f"{PAYMENT_RETURN_PATH}?payment_intent={quote(gateway_ref)}",
                                status_code=303)
    return html_page(words("title"), f"""<h1>{escape(words("ready_heading"))}</h1>
<p>{words("ready", reference=escape(payment.reference))}</p>
<p><a class="button" href="{escape(url)}">{escape(words("open"))}</a></p>""",
                     language=words.language)
