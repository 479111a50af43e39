"""Finding payments: for the scheduler's reconciliation jobs and the member's history."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from services.context import Services
from services.detached import detached
from services.persistence.models import Invoice, Payment, PaymentAllocation

# A pending payment this old is not a confirm still talking to the gateway: reconcile it.
RECONCILE_PENDING_AFTER = dt.timedelta(minutes=2)


def pending_payments(svc: Services, *, older_than: dt.timedelta = RECONCILE_PENDING_AFTER
                     ) -> list[int]:
    """Payments confirmed but never answered, for the reconciliation job."""
    cutoff = svc.now() - older_than
    with svc.uow() as uow:
        return list(uow.session.scalars(
            select(Payment.id)
            .where(Payment.status == "pending", Payment.confirmed_at <= cutoff)
            .order_by(Payment.id)
        ))


def processing_payments(svc: Services, *, as_of: dt.date) -> list[int]:
    """Bank payments expected to have settled by `as_of` (pass a later date to poll all)."""
    with svc.uow() as uow:
        return list(uow.session.scalars(
            select(Payment.id)
            .where(Payment.status == "processing", Payment.expected_settlement_on <= as_of)
            .order_by(Payment.id)
        ))


def latest_declined_payment(svc: Services, account_id: int) -> Payment | None:
    with svc.uow() as uow:
        payment = uow.session.scalar(
            select(Payment)
            .where(Payment.account_id == account_id, Payment.status.in_(("declined", "failed")))
            .order_by(Payment.id.desc())
            .limit(1)
        )
        return detached(uow.session, payment, "method") if payment else None


def recent_payments(svc: Services, account_id: int, limit: int = 5,
                    before_id: int | None = None) -> list[Payment]:
    """The member's payments newest first, drafts left out; `before_id` pages back."""
    query = (
        select(Payment)
        .where(Payment.account_id == account_id, Payment.status != "draft")
        .options(
            # Two statements in all: each payment with its method, then their allocations
            # with invoice and plan.
            joinedload(Payment.method),
            selectinload(Payment.allocations)
            .joinedload(PaymentAllocation.invoice)
            .joinedload(Invoice.plan),
        )
        .order_by(Payment.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(Payment.id < before_id)
    with svc.uow() as uow:
        payments = list(uow.session.scalars(query))
        uow.session.expunge_all()
        return payments
