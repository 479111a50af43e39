"""Telling members how payments they were not watching turned out: every autopay result, a bank
payment that settled or was returned, a payment whose answer came late.

Notices are read off the payments' timelines (payment_events) and autopay's charge rows, not
handed over by whoever moved the payment, so nothing is lost when a worker stops between
charging and telling: the next run finds the outcome and plans its notice. The dedupe key is
the payment and its new status (`payment:<id>:<status>`), so the autopay job, the settlement
job, a webhook handler and a second worker can all report the same outcome; it is sent once.

What the member already saw in the chat is not repeated: a payment confirmed in the chat is
reported only when its outcome came later (a bank debit settling, an answer that timed out,
a secure-page confirmation).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from services.context import Services
from services.money import format_cents
from services.notice_texts import (
    ADD_METHOD,
    PAY_NOW,
    PAYMENT_HISTORY,
    day,
    decline_buttons,
    month,
)
from services.outbox import NewNotification, enqueue
from services.payment_methods import method_label
from services.payment_outcomes import UNANSWERED_NOTE
from services.persistence.models import AutopayCharge, AutopayMandate, Payment, PaymentEvent
from services.troubleshooting import explain_decline

LOOKBACK = dt.timedelta(days=7)  # outcomes older than this are not announced any more
OUTCOMES = ("succeeded", "processing", "declined", "failed", "requires_action")
# A member payment whose timeline has one of these was not settled while the member watched.
_LATE = or_(PaymentEvent.status.in_(("processing", "requires_action")),
            PaymentEvent.note == UNANSWERED_NOTE)


def plan_payment_notices(svc: Services, *, payment_ids: Iterable[int] | None = None) -> int:
    """Plan notices for outcomes of the last LOOKBACK (or of the given payments); how many
    are new."""
    now = svc.now()
    with svc.uow() as uow:
        session = uow.session
        planned = [*_payment_outcomes(svc, session, now - LOOKBACK, payment_ids)]
        if payment_ids is None:
            planned += _autopay_without_payment(svc, session, now - LOOKBACK)
        created = enqueue(session, planned, now=now)
        uow.commit()
    return len(created)


def _payment_outcomes(svc: Services, session: Session, since: dt.datetime,
                      payment_ids: Iterable[int] | None) -> Iterable[NewNotification]:
    query = (select(PaymentEvent.payment_id, PaymentEvent.status, PaymentEvent.id)
             .where(PaymentEvent.at >= since, PaymentEvent.status.in_(OUTCOMES))
             .order_by(PaymentEvent.id))
    if payment_ids is not None:
        query = query.where(PaymentEvent.payment_id.in_(list(payment_ids)))
    events = session.execute(query).all()
    if not events:
        return
    ids = sorted({event.payment_id for event in events})
    payments = {p.id: p for p in session.scalars(
        select(Payment).where(Payment.id.in_(ids)).options(selectinload(Payment.method)))}
    charges = {c.last_payment_id: c for c in session.scalars(
        select(AutopayCharge).where(AutopayCharge.last_payment_id.in_(ids)))}
    late_since = dict(session.execute(
        select(PaymentEvent.payment_id, PaymentEvent.id).where(
            PaymentEvent.payment_id.in_(ids), _LATE).order_by(PaymentEvent.id.desc())).all())
    for payment_id, status, event_id in events:
        payment = payments[payment_id]
        if payment.source == "autopay":
            charge = charges.get(payment_id)
            # No charge row: a newer attempt replaced this one. Claimed: the attempt is still
            # being recorded (its retry day is not known yet); a later run reports it.
            if charge is None or charge.status == "claimed":
                continue
            yield _autopay_notice(svc, payment, status, charge)
        elif late_since.get(payment_id, event_id) < event_id:
            yield _member_notice(payment, status)


def _autopay_notice(svc: Services, payment: Payment, status: str,
                    charge: AutopayCharge) -> NewNotification:
    label, amount = method_label(payment.method), format_cents(payment.amount_cents)
    buttons = [PAYMENT_HISTORY]
    if status == "succeeded":
        text = f"Autopay paid {amount} from {label}. Reference {payment.reference}."
    elif status == "processing":
        text = (f"Autopay sent {amount} from {label} to your bank. Bank payments take a few "
                f"business days; it should settle by {day(payment.expected_settlement_on)}. "
                f"Reference {payment.reference}.")
    else:
        explanation = explain_decline(payment.decline_code, method_kind=payment.method.kind)
        text = (f"Autopay couldn't pay {amount} from {label}. {explanation.title}. "
                f"{explanation.explanation}")
        if charge.next_attempt_on:
            text += f" Autopay will try again on {day(charge.next_attempt_on)}."
        else:
            due = svc.policy.due_date_for(charge.billing_period)
            text += f" Autopay won't try again for this bill: please pay it by {day(due)}."
        if payment.action_url:
            text += f" To pay it now, confirm it on this secure page: {payment.action_url}"
        buttons = decline_buttons(explanation)
    return NewNotification(account_id=payment.account_id, kind="autopay_result",
                           dedupe_key=f"payment:{payment.id}:{status}", text=text,
                           buttons=buttons)


def _member_notice(payment: Payment, status: str) -> NewNotification:
    label, amount = method_label(payment.method), format_cents(payment.amount_cents)
    what = f"Your payment of {amount} from {label}"
    buttons = [PAYMENT_HISTORY]
    if status == "succeeded":
        text = f"{what} went through and is applied to your bill. Reference {payment.reference}."
    elif status == "processing":
        text = (f"{what} was sent to your bank; it should settle by "
                f"{day(payment.expected_settlement_on)}. Reference {payment.reference}.")
    elif status == "requires_action":
        text = (f"{what} needs one more step: please confirm it on the secure page: "
                f"{payment.action_url}")
        buttons = []
    else:
        explanation = explain_decline(payment.decline_code, method_kind=payment.method.kind)
        outcome = "was returned by your bank" if status == "failed" else "didn't go through"
        text = (f"{what} {outcome}. {explanation.title}. {explanation.explanation} "
                f"Reference {payment.reference}.")
        buttons = decline_buttons(explanation)
    return NewNotification(account_id=payment.account_id, kind="payment_result",
                           dedupe_key=f"payment:{payment.id}:{status}", text=text,
                           buttons=buttons)


def _autopay_without_payment(svc: Services, session: Session,
                             since: dt.datetime) -> Iterable[NewNotification]:
    """Periods autopay closed without charging: nothing owed, or no usable method."""
    rows = session.execute(
        select(AutopayCharge, AutopayMandate.account_id)
        .join(AutopayMandate, AutopayMandate.id == AutopayCharge.mandate_id)
        .where(AutopayCharge.updated_at >= since,
               AutopayCharge.status.in_(("skipped", "failed")))
    ).all()
    for charge, account_id in rows:
        if charge.status == "skipped":
            text = (f"Autopay didn't charge you for {month(charge.billing_period)} coverage: "
                    "there's nothing to pay right now.")
            buttons = [PAYMENT_HISTORY]
        else:
            text = (f"Autopay couldn't pay your premium due "
                    f"{day(svc.policy.due_date_for(charge.billing_period))}: the payment method "
                    "it uses has expired or was removed. Please pay now, and choose another "
                    "method for autopay.")
            buttons = [PAY_NOW, ADD_METHOD]
        yield NewNotification(
            account_id=account_id, kind="autopay_result",
            dedupe_key=f"autopay:{charge.id}:{charge.status}:{charge.attempts}",
            text=text, buttons=buttons)
