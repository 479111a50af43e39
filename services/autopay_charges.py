"""Charging autopay: each mandate at most once per billing period, whatever the workers do.

A worker claims a period by inserting its AutopayCharge row; the unique (mandate, period) is
the guard, and a worker that loses the insert skips it. On PostgreSQL the due mandates are
also locked with SKIP LOCKED, so two workers split the work instead of queueing on it.

Each attempt is a payment with the key `hp-autopay-<mandate>-<period>-<attempt>`, made in its
own transaction before the gateway is called; a worker that crashes mid-attempt leaves a
claim that is picked up again after STALE_CLAIM_AFTER and finished under the same key.

Amounts: the full balance owed through the period (earlier unpaid bills included), less any
credit; for quarterly autopay, months of the quarter not billed yet count at the plans'
premiums, and what they are paid ahead waits as credit for their bills. A fixed amount is
capped at that same figure, so autopay never pays more than is owed. Nothing owed, or less
than the gateway's minimum charge: the period is skipped.
Soft declines are tried again 2 and then 4 days later, only up to the due date; hard
declines never, nor a decline the issuer advised not to retry (payment_outcomes'
may_retry_automatically).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services import audit, events
from services.account_lock import lock_account
from services.billing_periods import month_start, period_months, period_to_charge
from services.context import Services
from services.errors import DomainError
from services.ledger import credit_cents, outstanding
from services.payment_methods import get_chargeable_method
from services.payment_outcomes import may_retry_automatically
from services.payments import (
    MIN_PAYMENT_CENTS,
    card_form_cents,
    charge_claimed,
    claim_draft,
    confirm_payment,
    new_payment,
)
from services.persistence.models import (
    Account,
    AutopayCharge,
    AutopayMandate,
    Invoice,
    Payment,
    Plan,
)

RETRY_AFTER_DAYS = (2, 4)  # after the first and the second soft decline of a period
STALE_CLAIM_AFTER = dt.timedelta(minutes=15)
# The charge row's status for each payment status an attempt can end in.
_CHARGE_STATUS = {
    "succeeded": "charged", "processing": "charged", "pending": "pending",
    "declined": "declined", "failed": "declined", "requires_action": "declined",
}


@dataclass(frozen=True)
class AutopayResult:
    """What one autopay attempt did, for the scheduler to tell the member."""

    account_id: int
    mandate_id: int
    billing_period: dt.date
    # The payment's status (succeeded, processing, pending, declined, failed,
    # requires_action), or "skipped" (nothing owed) or "method_unusable".
    status: str
    amount_cents: int
    reference: str | None
    decline_code: str | None
    next_attempt_on: dt.date | None  # a soft decline is tried again on this day


def charge_autopay_due(svc: Services, today: dt.date) -> list[AutopayResult]:
    """Charge every active mandate whose charge day has come, retry soft declines that are
    due, finish attempts a crashed worker left, and report pending ones that have settled."""
    results = []
    resume_due_pauses(svc, today)  # a pause "for a month" has ended: charge again
    with svc.uow() as uow:
        mandate_ids = list(uow.session.scalars(
            select(AutopayMandate.id).where(AutopayMandate.status == "active")
            .order_by(AutopayMandate.id)))
    # Each period is charged as soon as it is claimed: claiming them all first would let the
    # worker that starts first claim nearly every one while a second worker finds them taken.
    claims = (_claim_period(svc, mandate_id, today) for mandate_id in mandate_ids)
    attempts = (_attempt(svc, charge_id, today) for charge_id in claims if charge_id)
    results += [result for result in attempts if result]
    claims = _claim_retries(svc, today) + _reclaim_stale(svc)
    attempts = (_attempt(svc, charge_id, today) for charge_id in claims if charge_id)
    results += [result for result in attempts if result]
    settled = (_settled(svc, charge_id, today) for charge_id in _pending(svc))
    results += [result for result in settled if result]
    return results


def resume_due_pauses(svc: Services, today: dt.date) -> list[int]:
    """Resume the pauses that end by `today` (autopay.pause(until=...)); the mandates resumed.
    One whose method can no longer be charged stays paused, as autopay.resume would refuse."""
    resumed = []
    now = svc.now()
    with svc.uow() as uow:
        session = uow.session
        due = session.scalars(select(AutopayMandate).where(
            AutopayMandate.status == "paused", AutopayMandate.resume_on <= today)
            .with_for_update(skip_locked=True)).all()
        for mandate in due:
            try:
                get_chargeable_method(session, mandate.account_id, mandate.method_id, today)
            except DomainError:
                continue
            mandate.status, mandate.resume_on, mandate.updated_at = "active", None, now
            audit.record(session, "autopay_active", at=now, account_id=mandate.account_id,
                         mandate_id=mandate.id)
            resumed.append(mandate.id)
        uow.commit()
    return resumed


def _claim_period(svc: Services, mandate_id: int, today: dt.date) -> int | None:
    now = svc.now()
    with svc.uow() as uow:
        session = uow.session
        mandate = session.scalar(
            select(AutopayMandate)
            .where(AutopayMandate.id == mandate_id, AutopayMandate.status == "active")
            .with_for_update(skip_locked=True))
        if mandate is None:  # paused or cancelled meanwhile, or another worker has it
            return None
        period = period_to_charge(svc.policy, mandate.frequency, mandate.days_before_due, today)
        if period is None:
            return None
        charge = AutopayCharge(mandate_id=mandate.id, billing_period=period, status="claimed",
                               attempts=1, created_at=now, updated_at=now)
        session.add(charge)
        try:
            session.flush()
        except IntegrityError:  # this period is charged, or being charged, already
            return None
        uow.commit()
        return charge.id


def _claim_retries(svc: Services, today: dt.date) -> list[int]:
    with svc.uow() as uow:
        candidates = list(uow.session.execute(
            select(AutopayCharge.id, AutopayCharge.billing_period)
            .join(AutopayMandate, AutopayMandate.id == AutopayCharge.mandate_id)
            .where(AutopayCharge.status == "declined", AutopayCharge.next_attempt_on <= today,
                   AutopayMandate.status == "active")))
    # A retry a pause pushed past the due date is dropped: the bill is late either way.
    return [charge_id for charge_id, period in candidates
            if today <= svc.policy.due_date_for(period) and _reclaim(
                svc, charge_id, AutopayCharge.status == "declined",
                AutopayCharge.next_attempt_on <= today, next_attempt=True)]


def _reclaim_stale(svc: Services) -> list[int]:
    cutoff = svc.now() - STALE_CLAIM_AFTER
    with svc.uow() as uow:
        stale = list(uow.session.execute(
            select(AutopayCharge.id, AutopayCharge.updated_at)
            .where(AutopayCharge.status == "claimed", AutopayCharge.updated_at < cutoff)))
    return [charge_id for charge_id, seen in stale if _reclaim(
        svc, charge_id, AutopayCharge.status == "claimed", AutopayCharge.updated_at == seen)]


def _reclaim(svc: Services, charge_id: int, *conditions, next_attempt: bool = False) -> bool:
    """Take a charge row for this worker with a conditional UPDATE: True if it was ours."""
    values = {"status": "claimed", "updated_at": svc.now(), "next_attempt_on": None}
    if next_attempt:
        values["attempts"] = AutopayCharge.attempts + 1
    with svc.uow() as uow:
        won = uow.session.execute(
            update(AutopayCharge).where(AutopayCharge.id == charge_id, *conditions)
            .values(**values).execution_options(synchronize_session=False)).rowcount == 1
        uow.commit()
        return won


def _attempt(svc: Services, charge_id: int, today: dt.date) -> AutopayResult | None:
    """One attempt at a claimed period. What is owed and whether the mandate is still active
    are checked, and the payment claimed, under the account's money lock: a member paying at
    the same moment, or cancelling autopay, goes either wholly before or wholly after.
    None when the mandate was paused or cancelled meanwhile: the claim is given back."""
    with svc.uow() as uow:
        account_id = uow.session.scalar(
            select(AutopayMandate.account_id)
            .join(AutopayCharge, AutopayCharge.mandate_id == AutopayMandate.id)
            .where(AutopayCharge.id == charge_id))
    with svc.uow() as uow:
        session = uow.session
        lock_account(session, account_id)
        charge = session.get(AutopayCharge, charge_id)
        mandate = session.get(AutopayMandate, charge.mandate_id)
        key = f"hp-autopay-{mandate.id}-{charge.billing_period:%Y-%m}-{charge.attempts}"
        payment = session.scalar(select(Payment).where(Payment.idempotency_key == key))
        claimed = False
        if payment is None or payment.status == "draft":
            if mandate.status != "active":
                _give_back(session, charge, today)
                return None
            amount = autopay_amount(svc, session, mandate, charge.billing_period)
            if amount == 0 or (payment is not None and payment.amount_cents > amount):
                return _close(svc, session, charge, mandate, "skipped", amount)
            try:
                method = get_chargeable_method(session, mandate.account_id, mandate.method_id,
                                               today)
            except DomainError:
                return _close(svc, session, charge, mandate, "method_unusable", amount)
            if payment is None:
                payment = new_payment(svc, session, account_id=mandate.account_id,
                                      amount_cents=amount, method_id=method.id, plan_id=None,
                                      source="autopay", idempotency_key=key)
                charge.last_payment_id = payment.id
            claimed = claim_draft(svc, session, payment)
        payment_id = payment.id
    try:
        # A payment claimed just now is charged; one a crashed worker left pending is first
        # looked up under its key (confirm_payment), never charged anew.
        payment = (charge_claimed(svc, payment_id) if claimed
                   else confirm_payment(svc, account_id, payment_id))
    except DomainError:  # the method was removed or expired since the payment was made
        with svc.uow() as uow:
            charge = uow.session.get(AutopayCharge, charge_id)
            mandate = uow.session.get(AutopayMandate, charge.mandate_id)
            return _close(svc, uow.session, charge, mandate, "method_unusable", 0)
    return _record(svc, charge_id, payment, today)


def _give_back(session: Session, charge: AutopayCharge, today: dt.date) -> None:
    """The mandate was paused or cancelled after this period was claimed: nothing is charged,
    and the period is left as it was before the claim, so a resume can still pay it."""
    if charge.attempts == 1:
        session.delete(charge)
    else:  # a retry of a soft decline: due again from today, if autopay is resumed in time
        charge.status, charge.next_attempt_on = "declined", today
    session.commit()


def _record(svc: Services, charge_id: int, payment: Payment, today: dt.date) -> AutopayResult:
    """Write the attempt's outcome on its charge row; schedule a retry of a soft decline."""
    now = svc.now()
    with svc.uow() as uow:
        session = uow.session
        charge = session.get(AutopayCharge, charge_id)
        mandate = session.get(AutopayMandate, charge.mandate_id)
        charge.status = _CHARGE_STATUS[payment.status]
        charge.next_attempt_on = None
        if (charge.status == "declined" and may_retry_automatically(payment)
                and charge.attempts <= len(RETRY_AFTER_DAYS)):
            retry_on = today + dt.timedelta(days=RETRY_AFTER_DAYS[charge.attempts - 1])
            if retry_on <= svc.policy.due_date_for(charge.billing_period):
                charge.next_attempt_on = retry_on
        charge.updated_at = now
        audit.record(session, f"autopay_{charge.status}", at=now, account_id=mandate.account_id,
                     mandate_id=mandate.id, billing_period=charge.billing_period.isoformat(),
                     attempt=charge.attempts, payment_id=payment.id,
                     decline_code=payment.decline_code)
        uow.commit()
        events.emit("autopay_charge", outcome=charge.status, payment_id=payment.id)
        return AutopayResult(
            account_id=mandate.account_id, mandate_id=mandate.id,
            billing_period=charge.billing_period, status=payment.status,
            amount_cents=payment.amount_cents, reference=payment.reference,
            decline_code=payment.decline_code, next_attempt_on=charge.next_attempt_on)


def _close(svc: Services, session: Session, charge: AutopayCharge, mandate: AutopayMandate,
           outcome: str, amount: int) -> AutopayResult:
    """End a period's attempt without a charge: nothing owed, or no usable method."""
    now = svc.now()
    charge.status = "skipped" if outcome == "skipped" else "failed"
    charge.updated_at = now
    audit.record(session, f"autopay_{outcome}", at=now, account_id=mandate.account_id,
                 mandate_id=mandate.id, billing_period=charge.billing_period.isoformat())
    session.commit()
    events.emit("autopay_charge", outcome=charge.status, payment_id=None)
    return AutopayResult(
        account_id=mandate.account_id, mandate_id=mandate.id,
        billing_period=charge.billing_period, status=outcome, amount_cents=amount,
        reference=None, decline_code=None, next_attempt_on=None)


def _pending(svc: Services) -> list[int]:
    """Charges whose payment was left pending and has since been settled by reconciliation."""
    with svc.uow() as uow:
        return list(uow.session.scalars(
            select(AutopayCharge.id)
            .join(Payment, Payment.id == AutopayCharge.last_payment_id)
            .where(AutopayCharge.status == "pending", Payment.status != "pending")))


def _settled(svc: Services, charge_id: int, today: dt.date) -> AutopayResult | None:
    if not _reclaim(svc, charge_id, AutopayCharge.status == "pending"):
        return None
    with svc.uow() as uow:
        payment = uow.session.get(Payment, uow.session.get(AutopayCharge, charge_id)
                                  .last_payment_id)
        uow.session.expunge(payment)
    return _record(svc, charge_id, payment, today)


def autopay_amount(svc: Services, session: Session, mandate: AutopayMandate,
                   period: dt.date) -> int:
    """What autopay pays for a period: see the module's docstring."""
    account = session.get(Account, mandate.account_id)
    months = period_months(period, mandate.frequency)
    items = outstanding(session, account_id=account.id, enrollment_id=account.enrollment_id)
    owed = sum(item.due_cents for item in items if item.invoice.coverage_month <= months[-1])
    billed = set(session.execute(
        select(Invoice.plan_id, Invoice.coverage_month)
        .where(Invoice.enrollment_id == account.enrollment_id,
               Invoice.coverage_month.in_(months))))
    for plan in session.scalars(select(Plan).where(Plan.enrollment_id == account.enrollment_id)):
        owed += sum(plan.monthly_premium_cents for month in months
                    if month >= month_start(plan.coverage_start)
                    and (plan.id, month) not in billed)
    owed -= credit_cents(session, account.id)
    owed -= card_form_cents(svc, session, account.id)  # being paid on the card form right now
    if mandate.amount_rule == "fixed":
        owed = min(owed, mandate.fixed_amount_cents)
    # Less than a gateway can charge is left for the next period's full balance.
    return 0 if owed < MIN_PAYMENT_CENTS else min(owed, svc.config.max_payment_cents)
