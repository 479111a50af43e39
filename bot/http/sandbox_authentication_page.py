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
from bot.http.page_texts import words_for
from services.formatting import money
from services.member_language import language_of_payment
from services.payment_updates import payment_awaiting_authentication, refresh_after_authentication

router = APIRouter(tags=["hosted pages"])


@router.get("/sandbox/authenticate/{charge_ref}", response_class=HTMLResponse)
def authentication_form(request: Request, charge_ref: str) -> HTMLResponse:
    svc = request.app.state.runtime.services
    language = language_of_payment(svc, charge_ref)
    payment = payment_awaiting_authentication(svc, charge_ref)
    if payment is None:
        return nothing_to_confirm_page(language)
    words = words_for(language, "sandbox_authentication")
    field_value, nonce = csrf.issue(request, svc.secrets.session_key, charge_ref)
    main = f"""<h1>{escape(words("heading"))}</h1>
<p class="note">{escape(words("test_mode"))}</p>
<p>{words("payment", reference=escape(payment.reference),
          amount=escape(money(payment.amount_cents, words.language)),
          exchange=escape(svc.policy.name))}</p>
<form method="post">
<input type="hidden" name="{csrf.FIELD}" value="{escape(field_value)}">
<button type="submit" name="decision" value="approve">{escape(words("approve"))}</button>
<button type="submit" name="decision" value="decline" class="secondary">
{escape(words("decline"))}</button>
</form>"""
    response = html_page(words("title"), main, language=words.language)
    csrf.set_cookie(response, nonce, path=f"/sandbox/authenticate/{charge_ref}",
                    secure=svc.config.public_base_url.startswith("https://"))
    return response


@router.post("/sandbox/authenticate/{charge_ref}", response_class=HTMLResponse)
def answer_authentication(request: Request, charge_ref: str,
                          decision: Annotated[str, Form()] = "",
                          csrf_token: Annotated[str, Form()] = "") -> HTMLResponse:
    svc = request.app.state.runtime.services
    language = language_of_payment(svc, charge_ref)
    if not csrf.verify(request, csrf_token, svc.secrets.session_key, charge_ref,
                       public_base_url=svc.config.public_base_url):
        return form_refused_page(language)
    if payment_awaiting_authentication(svc, charge_ref) is None:
        return nothing_to_confirm_page(language)
    svc.gateway.complete_authentication(charge_ref, approve=decision == "approve")
    payment = refresh_after_authentication(svc, charge_ref)
    words = words_for(language, "sandbox_authentication")
    if payment is not None and payment.status == "succeeded":
        return message_page(words("approved_title"),
                            words("approved", reference=payment.reference,
                                  amount=money(payment.amount_cents, words.language)),
                            language=words.language)
    return message_page(words("declined_title"), words("declined"), words("declined_back"),
                        language=words.language)
