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
from services.notice_language import buttons_in, method_name, notice_lines, notice_text
from services.notice_texts import ADD_METHOD, PAY_NOW, PAYMENT_HISTORY, decline_buttons
from services.outbox import NewNotification, enqueue
from services.payment_outcomes import UNANSWERED_NOTE
from services.persistence.models import (
    Account,
    AutopayCharge,
    AutopayMandate,
    Payment,
    PaymentEvent,
    PaymentMethod,
)
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
    languages = _languages(session, {payment.account_id for payment in payments.values()})
    for payment_id, status, event_id in events:
        payment = payments[payment_id]
        language = languages.get(payment.account_id)
        if payment.source == "autopay":
            charge = charges.get(payment_id)
            # No charge row: a newer attempt replaced this one. Claimed: the attempt is still
            # being recorded (its retry day is not known yet); a later run reports it.
            if charge is None or charge.status == "claimed":
                continue
            yield _autopay_notice(svc, payment, status, charge, language)
        elif late_since.get(payment_id, event_id) < event_id:
            yield _member_notice(payment, status, language)


def _languages(session: Session, account_ids: set[int]) -> dict[int, str | None]:
    return dict(session.execute(
        select(Account.id, Account.language).where(Account.id.in_(account_ids))).all())


def _autopay_notice(svc: Services, payment: Payment, status: str, charge: AutopayCharge,
                    language: str | None) -> NewNotification:
    paid = {"amount_cents": payment.amount_cents, "method": _method(payment.method, language),
            "reference": payment.reference}
    buttons = [PAYMENT_HISTORY]
    if status == "succeeded":
        text = notice_text(language, "autopay_paid", **paid)
    elif status == "processing":
        text = notice_text(language, "autopay_processing", **paid,
                           settles=payment.expected_settlement_on)
    else:
        explanation = explain_decline(payment.decline_code, method_kind=payment.method.kind,
                                      language=language)
        retry = (("autopay_retry", {"day": charge.next_attempt_on}) if charge.next_attempt_on
                 else ("autopay_no_retry",
                       {"due": svc.policy.due_date_for(charge.billing_period)}))
        text = notice_lines(
            language,
            ("autopay_declined", {**paid, "title": explanation.title,
                                  "explanation": explanation.explanation}),
            retry,
            ("autopay_confirm_page", {"url": payment.action_url}) if payment.action_url
            else None)
        # The explanation's buttons are titled in the language already (troubleshooting).
        return NewNotification(account_id=payment.account_id, kind="autopay_result",
                               dedupe_key=f"payment:{payment.id}:{status}", text=text,
                               buttons=decline_buttons(explanation))
    return NewNotification(account_id=payment.account_id, kind="autopay_result",
                           dedupe_key=f"payment:{payment.id}:{status}", text=text,
                           buttons=buttons_in(language, buttons))


def _member_notice(payment: Payment, status: str, language: str | None) -> NewNotification:
    paid = {"amount_cents": payment.amount_cents, "method": _method(payment.method, language),
            "reference": payment.reference}
    buttons = [PAYMENT_HISTORY]
    if status == "succeeded":
        text = notice_text(language, "payment_succeeded", **paid)
    elif status == "processing":
        text = notice_text(language, "payment_processing", **paid,
                           settles=payment.expected_settlement_on)
    elif status == "requires_action":
        text = notice_text(language, "payment_requires_action", **paid, url=payment.action_url)
        buttons = []
    else:
        explanation = explain_decline(payment.decline_code, method_kind=payment.method.kind,
                                      language=language)
        text = notice_text(language,
                           "payment_returned" if status == "failed" else "payment_declined",
                           **paid, title=explanation.title,
                           explanation=explanation.explanation)
        return NewNotification(account_id=payment.account_id, kind="payment_result",
                               dedupe_key=f"payment:{payment.id}:{status}", text=text,
                               buttons=decline_buttons(explanation))
    return NewNotification(account_id=payment.account_id, kind="payment_result",
                           dedupe_key=f"payment:{payment.id}:{status}", text=text,
                           buttons=buttons_in(language, buttons))


def _method(method: PaymentMethod, language: str | None) -> str:
    return method_name(language, method.brand, method.last4, method.nickname)


def _autopay_without_payment(svc: Services, session: Session,
                             since: dt.datetime) -> Iterable[NewNotification]:
    """Periods autopay closed without charging: nothing owed, or no usable method."""
    rows = session.execute(
        select(AutopayCharge, AutopayMandate.account_id, Account.language)
        .join(AutopayMandate, AutopayMandate.id == AutopayCharge.mandate_id)
        .join(Account, Account.id == AutopayMandate.account_id)
        .where(AutopayCharge.updated_at >= since,
               AutopayCharge.status.in_(("skipped", "failed")))
    ).all()
    for charge, account_id, language in rows:
        if charge.status == "skipped":
            text = notice_text(language, "autopay_skipped", month=charge.billing_period)
            buttons = [PAYMENT_HISTORY]
        else:
            text = notice_text(language, "autopay_method_unusable",
                               due=svc.policy.due_date_for(charge.billing_period))
            buttons = [PAY_NOW, ADD_METHOD]
        yield NewNotification(
            account_id=account_id, kind="autopay_result",
            dedupe_key=f"autopay:{charge.id}:{charge.status}:{charge.attempts}",
            text=text, buttons=buttons_in(language, buttons))
