"""Where Stripe sends a member back after 3-D Secure (`return_url` of an on-session charge).

Stripe appends `?payment_intent=pi_...`. The page reads the outcome from Stripe (never from
the query string alone: anyone can type a URL), moves the payment on, and the member is told
the result in chat as for any other payment.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from bot.http.html_pages import message_page
from bot.http.page_texts import PageWords, words_for
from services.errors import GatewayUnavailable
from services.member_language import language_of_payment
from services.payment_updates import refresh_after_authentication

router = APIRouter(tags=["hosted pages"])


@router.get("/payments/return", response_class=HTMLResponse)
def payment_return(request: Request, payment_intent: str = "") -> HTMLResponse:
    services = request.app.state.runtime.services
    if not payment_intent.startswith("pi_") or len(payment_intent) > 255:
        words = words_for(None, "payment_return")
        return _told(words, "nothing_title", words("no_payment_named"), status_code=404)
    words = words_for(language_of_payment(services, payment_intent), "payment_return")
    try:
        payment = refresh_after_authentication(services, payment_intent)
    except GatewayUnavailable:
        return _told(words, "checking_title", words("checking"))
    if payment is None:
        return _told(words, "nothing_title", words("not_found"), status_code=404)
    if payment.status == "succeeded":
        return _told(words, "received_title", words("received", reference=payment.reference))
    if payment.status == "processing":
        return _told(words, "processing_title",
                     words("processing", reference=payment.reference))
    return _told(words, "failed_title", words("failed", reference=payment.reference))


def _told(words: PageWords, title: str, text: str, *, status_code: int = 200) -> HTMLResponse:
    return message_page(words(title), text, words("back_to_chat"), language=words.language,
                        status_code=status_code)
