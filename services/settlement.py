"""Settling payments whose outcome was not known: confirmed payments the gateway never answered,
and bank debits whose settlement day has come. Each is asked about under its own idempotency
key (reconcile_payment), so running this on two workers at once charges nothing twice; the
members are then told how their payments turned out (payment_notices).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass

from services.context import Services
from services.payment_notices import plan_payment_notices
from services.payments import pending_payments, processing_payments, reconcile_payment

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SettlementReport:
    checked: int
    outcomes: dict[str, int]  # payment status afterwards -> how many
    errors: int
    notices: int

    def summary(self) -> str:
        outcomes = ", ".join(f"{count} {status}" for status, count in sorted(self.outcomes.items()))
        return (f"{self.checked} payments checked ({outcomes or 'none'}), {self.errors} errors, "
                f"{self.notices} notices planned")


def settle_payments(svc: Services, today: dt.date) -> SettlementReport:
    outcomes: Counter[str] = Counter()
    errors = 0
    payment_ids = pending_payments(svc) + processing_payments(svc, as_of=today)
    for payment_id in payment_ids:
        try:
            outcomes[reconcile_payment(svc, payment_id).status] += 1
        except Exception:  # one payment's trouble must not keep the others unsettled
            logger.exception("reconciling payment %s failed", payment_id)
            errors += 1
    return SettlementReport(checked=len(payment_ids), outcomes=dict(outcomes), errors=errors,
                            notices=plan_payment_notices(svc))
