"""'My payment hasn't shown up': a payment's timeline, found by its reference number."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from services.context import Services
from services.errors import InvalidInput, NotFound
from services.payment_methods import method_label
from services.persistence.models import Invoice, Payment, PaymentAllocation
from services.references import normalize_reference

# A confirmed payment with no answer after this long is overdue: someone should look at it.
PENDING_OVERDUE_AFTER = dt.timedelta(days=1)


@dataclass(frozen=True)
class TraceEvent:
    at: dt.datetime
    status: str
    note: str


@dataclass(frozen=True)
class PaidLine:
    plan_kind: str
    plan_name: str
    coverage_month: dt.date
    amount_cents: int


@dataclass(frozen=True)
class PaymentTrace:
    reference: str
    status: str
    amount_cents: int
    method_label: str | None
    source: str
    created_at: dt.datetime
    confirmed_at: dt.datetime | None
    settled_at: dt.datetime | None
    timeline: tuple[TraceEvent, ...]
    paid: tuple[PaidLine, ...]  # what it paid; empty until it succeeds
    expected_settlement_on: dt.date | None  # bank payments
    decline_code: str | None
    action_url: str | None
    overdue: bool  # past its expected settlement, or pending for over a day
    # The method's brand, last four digits and nickname, for a label in the member's language.
    method_parts: tuple[str, str, str | None] | None = None


def trace_payment(svc: Services, account_id: int, reference_text: str) -> PaymentTrace:
    """The member's own payment by reference; another member's reads as not found."""
    reference = normalize_reference(reference_text)
    if reference is None:
        raise InvalidInput("That doesn't look like a payment reference. References look like "
                           "HC-7K3M-9Q2D; please check it and try again.",
                           key="reference_unreadable")
    with svc.uow() as uow:
        payment = uow.session.scalar(
            select(Payment)
            .where(Payment.reference == reference, Payment.account_id == account_id)
            .options(
                selectinload(Payment.events),
                selectinload(Payment.method),
                selectinload(Payment.allocations)
                .selectinload(PaymentAllocation.invoice)
                .selectinload(Invoice.plan),
            )
        )
        if payment is None:
            raise NotFound(f"I couldn't find a payment with reference {reference} on your "
                           "account.", key="payment_reference_not_found", reference=reference)
        return PaymentTrace(
            reference=payment.reference,
            status=payment.status,
            amount_cents=payment.amount_cents,
            method_label=method_label(payment.method) if payment.method else None,
            method_parts=(payment.method.brand, payment.method.last4, payment.method.nickname)
            if payment.method else None,
            source=payment.source,
            created_at=payment.created_at,
            confirmed_at=payment.confirmed_at,
            settled_at=payment.settled_at,
            timeline=tuple(TraceEvent(e.at, e.status, e.note) for e in payment.events),
            paid=tuple(
                PaidLine(a.invoice.plan.kind, a.invoice.plan.name, a.invoice.coverage_month,
                         a.amount_cents)
                for a in sorted(payment.allocations, key=lambda a: a.id)
            ),
            expected_settlement_on=payment.expected_settlement_on,
            decline_code=payment.decline_code,
            action_url=payment.action_url,
            overdue=is_overdue(payment, now=svc.now(), today=svc.today()),
        )


def is_overdue(payment: Payment, *, now: dt.datetime, today: dt.date) -> bool:
    if payment.status == "processing" and payment.expected_settlement_on is not None:
        return today > payment.expected_settlement_on
    if payment.status == "pending" and payment.confirmed_at is not None:
        return now - payment.confirmed_at > PENDING_OVERDUE_AFTER
    return False
