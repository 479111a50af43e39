"""Where Stripe sends a member back after 3-D Secure (`return_url` of an on-session charge).

Stripe appends `?payment_intent=pi_...`. The page reads the outcome from Stripe (never from
the query string alone: anyone can type a URL), moves the payment on, and the member is told
the result in chat as for any other payment.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from bot.http.html_pages import message_page
from services.errors import GatewayUnavailable
from services.payment_updates import refresh_after_authentication

router = APIRouter(tags=["hosted pages"])

BACK_TO_CHAT = "You can close this page and go back to the chat."


@router.get("/payments/return", response_class=HTMLResponse)
def payment_return(request: Request, payment_intent: str = "") -> HTMLResponse:
    services = request.app.state.runtime.services
    if not payment_intent.startswith("pi_") or len(payment_intent) > 255:
        return message_page("Nothing to show", "This link doesn't name a payment.",
                            BACK_TO_CHAT, status_code=404)
    try:
        payment = refresh_after_authentication(services, payment_intent)
    except GatewayUnavailable:
        return message_page("We're checking your payment",
                            "We couldn't reach the bank just now. We'll message you in the "
                            "chat as soon as we know the result.", BACK_TO_CHAT)
    if payment is None:
        return message_page("Nothing to show", "We couldn't find that payment.", BACK_TO_CHAT,
                            status_code=404)
    if payment.status == "succeeded":
        return message_page("Payment received", f"Thank you. Your reference is "
                            f"{payment.reference}.", BACK_TO_CHAT)
    if payment.status == "processing":
        return message_page("Payment on its way", f"Your payment {payment.reference} is being "
                            "processed. We'll message you in the chat when it settles.",
                            BACK_TO_CHAT)
    return message_page("Payment not completed", f"Payment {payment.reference} did not go "
                        "through. The chat has the details and what you can do next.",
                        BACK_TO_CHAT)
