"""Finding payments: for the scheduler's reconciliation jobs and the member's history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, literal, select

from services.context import Services
from services.detached import detached
from services.persistence.models import Invoice, Payment, PaymentAllocation, PaymentMethod, Plan

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
                    before_id: int | None = None) -> list[RecentPayment]:
    """The member's payments newest first, drafts left out; `before_id` pages back."""
    with svc.uow() as uow:
        found = uow.session.execute(_RECENT, {
            "account_id": account_id, "before_id": before_id or _NO_PAYMENT_AFTER,
            "limit": limit}).all()
        kinds: dict[int, set[str]] = {payment.id: set() for payment in found}
        if found:
            for payment_id, kind in uow.session.execute(_PLAN_KINDS, {"ids": list(kinds)}):
                kinds[payment_id].add(kind)
    return [RecentPayment(*payment, plan_kinds=frozenset(kinds[payment.id])) for payment in found]


# The history is read on many turns: its statements are built once, on the tables.
_payments, _methods = Payment.__table__, PaymentMethod.__table__
_allocations, _invoices, _plans = (PaymentAllocation.__table__, Invoice.__table__,
                                   Plan.__table__)
_NO_PAYMENT_AFTER = 2**31 - 1  # above any id: the column is a 32-bit integer
_RECENT = (
    select(_payments.c.id, _payments.c.reference, _payments.c.amount_cents,
           _payments.c.status, _payments.c.decline_code, _payments.c.source,
           _payments.c.created_at, _payments.c.confirmed_at,
           _methods.c.brand.label("method_brand"), _methods.c.last4.label("method_last4"),
           _methods.c.nickname.label("method_nickname"))
    .select_from(_payments.outerjoin(_methods, _methods.c.id == _payments.c.method_id))
    .where(_payments.c.account_id == bindparam("account_id"),
           _payments.c.status != literal("draft"),
           _payments.c.id < bindparam("before_id"))
    .order_by(_payments.c.id.desc())
    .limit(bindparam("limit"))
)
_PLAN_KINDS = (
    select(_allocations.c.payment_id, _plans.c.kind)
    .select_from(_allocations.join(_invoices, _invoices.c.id == _allocations.c.invoice_id)
                 .join(_plans, _plans.c.id == _invoices.c.plan_id))
    .where(_allocations.c.payment_id.in_(bindparam("ids", expanding=True)))
)


@dataclass(frozen=True)
class RecentPayment:
    """A payment as the member's history shows it: its method (None without one) and the
    kinds of plan it paid."""

    id: int
    reference: str
    amount_cents: int
    status: str
    decline_code: str | None
    source: str
    created_at: dt.datetime
    confirmed_at: dt.datetime | None
    method_brand: str | None
    method_last4: str | None
    method_nickname: str | None
    plan_kinds: frozenset[str]
