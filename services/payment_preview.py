"""What a payment would pay, before the member confirms it: which plans and coverage months.

The preview places the amount exactly as a succeeded payment is allocated (ledger.allocate):
oldest open invoice first, health before dental within a month, one plan only when the payment
is for one plan; payments still in flight are placed first, as the balance shows them. What no
invoice needs is credit for later bills.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.context import Services
from services.errors import NotFound
from services.ledger import outstanding, spread
from services.payment_trace import PaidLine
from services.persistence.models import Account


@dataclass(frozen=True)
class PaymentPreview:
    lines: tuple[PaidLine, ...]
    credit_cents: int  # beyond every open bill: kept as credit (overpayment only)


def preview_payment(svc: Services, account_id: int, *, amount_cents: int,
                    plan_id: int | None = None) -> PaymentPreview:
    with svc.uow() as uow:
        session = uow.session
        account = session.get(Account, account_id)
        if account is None:
            raise NotFound("I couldn't find your account. Please log in again.",
                           key="account_not_found")
        items = outstanding(session, account_id=account.id, enrollment_id=account.enrollment_id)
        taken = {item.invoice.id: item.pending_cents for item in items}
        shares = spread([item.invoice for item in items], amount_cents, plan_id=plan_id,
                        taken=taken)
        lines = tuple(
            PaidLine(invoice.plan.kind, invoice.plan.name, invoice.coverage_month, share)
            for invoice, share in shares
        )
    return PaymentPreview(lines=lines,
                          credit_cents=amount_cents - sum(line.amount_cents for line in lines))
