"""POST /stripe/webhook: Stripe's events about payments (their outcome, refunds, disputes)
and saved methods (added, or failed to verify).

The signature is checked on the raw body, with a 300-second tolerance, before anything is
read; a bad or stale one gets 400 and changes nothing. Each event is applied once (its id is
recorded with the change), and payments only move forward, so redeliveries and events out of
order are harmless. Answers: 200 for every genuine event, applied or of no interest; 400 for
one that is not genuine; 503 when the event could not be applied now (Stripe's API did not
answer or answered with something only an operator can fix — an alert is raised then — or
no webhook secret is configured), so that Stripe delivers it again later — it retries for up
to three days.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from services.adapters.stripe_events import (
    InvalidWebhook,
    StripeEvent,
    method_setup_from_event,
    payment_update_from_event,
    reversal_from_event,
    setup_failure_from_event,
    verify_and_parse,
)
from services.adapters.stripe_gateway import GatewayRejected
from services.context import Services
from services.errors import GatewayUnavailable
from services.method_setup import complete_gateway_setup
from services.payment_reversals import apply_payment_reversal
from services.payment_updates import apply_payment_update
from services.setup_failures import tell_setup_failed
from services.webhook_events import EventNotReady, ReceivedEvent

logger = logging.getLogger(__name__)

router = APIRouter(tags=["webhooks"])


@router.post("/stripe/webhook")
async def stripe_webhook(request: Request) -> JSONResponse:
    runtime = request.app.state.runtime
    secret = runtime.settings.stripe_webhook_secret
    if not secret:
        logger.error("a Stripe event arrived but STRIPE_WEBHOOK_SECRET is not set")
        return JSONResponse({"error": "STRIPE_WEBHOOK_SECRET is not configured"},
                            status_code=503)
    svc: Services = runtime.services
    payload = await request.body()
    try:
        event = verify_and_parse(payload, request.headers.get("stripe-signature"), secret,
                                 now=svc.now())
    except InvalidWebhook as exc:
        logger.warning("refused a Stripe webhook: %s", exc)
        return JSONResponse({"error": str(exc)}, status_code=400)
    try:
        await run_in_threadpool(_apply, svc, event)
    except InvalidWebhook as exc:
        logger.warning("refused Stripe event %s: %s", event.id, exc)
        return JSONResponse({"error": str(exc)}, status_code=400)
    except (GatewayUnavailable, EventNotReady) as exc:
        # Stripe did not answer, answered what only an operator can fix (alerted), or the
        # event is ahead of what HealthPay knows: Stripe delivers it again later.
        logger.warning("Stripe event %s not applied yet: %s", event.id, exc)
        return JSONResponse({"error": "try again later"}, status_code=503)
    except GatewayRejected:
        # Sending it again will not help (a kind of method HealthPay cannot use): operators
        # see it in the log, and Stripe stops retrying.
        logger.exception("Stripe event %s could not be applied", event.id)
    return JSONResponse({"received": True})


def _apply(svc: Services, event: StripeEvent) -> None:
    received = ReceivedEvent(event.id, event.type)
    if update := payment_update_from_event(event):
        apply_payment_update(svc, update, event=received)
    elif reversal := reversal_from_event(event):
        apply_payment_reversal(svc, reversal, event=received)
    elif setup := method_setup_from_event(event):
        complete_gateway_setup(svc, setup, event=received)
    elif failure := setup_failure_from_event(event):
        tell_setup_failed(svc, failure, event=received)
