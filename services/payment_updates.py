"""Payment outcomes the gateway reports after the fact: Stripe's webhooks, and the member
answering 3-D Secure on the sandbox's page.

Where a payment may go is payment_outcomes' call (forward only, by a conditional update), so a
late or out-of-order report changes nothing. This module finds the payment and applies each
event once. When the payment moved, its notice is planned through payment_notices, whose
dedupe key (`payment:<id>:<status>`) keeps the member from hearing one outcome twice, however
many of webhook, settlement job and reconciliation report it.
"""

from __future__ import annotations

import logging

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from services.adapters.stripe_events import PaymentUpdate
from services.context import Services
from services.detached import detached
from services.payment_notices import plan_payment_notices
from services.payment_outcomes import apply_unwatched_result
from services.payments import reconcile_payment
from services.persistence.models import Payment
from services.ports import ChargeResult
from services.webhook_events import ReceivedEvent, claim_event

logger = logging.getLogger(__name__)


def apply_payment_update(svc: Services, update: PaymentUpdate, *,
                         event: ReceivedEvent) -> Payment | None:
    """Apply a webhook's news about a payment, once per event. Returns the payment when it
    moved; None for a replayed event, a payment HealthPay does not know, or news that changes
    nothing (a late `processing` after `succeeded`)."""
    with svc.uow() as uow:
        session = uow.session
        record = claim_event(session, event, svc.now())
        if record is None:
            return None
        payment = _reported_payment(session, update)
        if payment is None:
            logger.info("event %s (%s) names no HealthPay payment", event.id, event.type)
            uow.commit()
            return None
        record.payment_id = payment.id
        moved = apply_unwatched_result(
            svc, session, payment,
            ChargeResult(update.status, update.gateway_ref, update.decline_code,
                         advice_code=update.advice_code))
        uow.commit()
        if not moved:
            return None
        payment = detached(session, payment)
    plan_payment_notices(svc, payment_ids=[payment.id])
    return payment


def payment_awaiting_authentication(svc: Services, gateway_ref: str) -> Payment | None:
    """The payment a 3-D Secure page is about, while it still waits for the member."""
    with svc.uow() as uow:
        payment = uow.session.scalar(select(Payment).where(
            Payment.gateway_ref == gateway_ref, Payment.status == "requires_action"))
        return detached(uow.session, payment) if payment else None


def payment_to_authenticate(svc: Services, gateway_ref: str) -> Payment | None:
    """The payment a member can still finish on-session with 3-D Secure: one waiting for it,
    or an autopay charge the issuer declined because the member was not there to
    authenticate (the same PaymentIntent can still be completed)."""
    with svc.uow() as uow:
        payment = uow.session.scalar(select(Payment).where(
            Payment.gateway_ref == gateway_ref,
            or_(Payment.status == "requires_action",
                and_(Payment.status == "declined",
                     Payment.decline_code == "authentication_required"))))
        return detached(uow.session, payment) if payment else None


def refresh_after_authentication(svc: Services, gateway_ref: str) -> Payment | None:
    """The member answered 3-D Secure: read the outcome from the gateway, and tell the member
    in chat when the payment moved."""
    with svc.uow() as uow:
        found = uow.session.execute(select(Payment.id, Payment.status).where(
            Payment.gateway_ref == gateway_ref)).first()
    if found is None:
        return None
    payment = reconcile_payment(svc, found.id)
    if payment.status != found.status:
        plan_payment_notices(svc, payment_ids=[payment.id])
    return payment


def _reported_payment(session: Session, update: PaymentUpdate) -> Payment | None:
    """By the gateway's reference, or, when the charge's answer never reached us (a timeout),
    by the idempotency key in the PaymentIntent's metadata. Locked, so two events about one
    payment are applied one after the other, each seeing the other's move."""
    payment = session.scalar(
        select(Payment).where(Payment.gateway_ref == update.gateway_ref).with_for_update())
    if payment is None and update.idempotency_key:
        payment = session.scalar(select(Payment).where(
            Payment.idempotency_key == update.idempotency_key).with_for_update())
    return payment
