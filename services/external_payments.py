"""Payments taken outside our gateway, on a payment form another party runs (Telegram's own
card form): the member pays a draft there, and we record the money once it is in.

Before the form charges, `check_external_payment` says whether the draft may still be paid
(Telegram asks in the pre-checkout query). Once it has charged, `record_external_payment`
moves the draft to succeeded through the same moves as any gateway answer
(payment_outcomes), exactly once per charge: the charge id is the payment's gateway reference,
and a report of the same charge again returns the payment already recorded.
"""

from __future__ import annotations

import logging

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services import audit
from services.account_lock import lock_account
from services.context import Services
from services.detached import detached
from services.errors import NotAllowed
from services.payment_outcomes import apply_charge_result, record_event
from services.payments import FORM_SOURCE, _check_against_balance, _owned_payment, new_payment
from services.persistence.models import Account, Payment
from services.ports import ChargeResult

logger = logging.getLogger(__name__)

ALREADY_PAID = "This payment was already made. Type *payment history* to see it."
CHANGED = "This payment changed since the form was opened. Please start the payment again."
PAID_NOTE = "Paid on the card form in the chat app."


def check_external_payment(svc: Services, account_id: int, payment_id: int, *,
                           amount_cents: int | None = None) -> Payment:
    """The member's draft, if it can be paid on the form now (for `amount_cents`, when given:
    the pre-checkout): still a draft, the same amount, and still no more than is owed. A
    DomainError worded for the member says why not. The draft is then held by the form (its
    source becomes the form's), so a "yes" typed in the chat cannot confirm it as well; the
    form itself can be opened again and asks here again before it charges. Under the
    account's money lock, like every confirm."""
    with svc.uow() as uow:
        session = uow.session
        lock_account(session, account_id)
        payment = _owned_payment(session, account_id, payment_id)
        if payment.status != "draft":
            raise NotAllowed(ALREADY_PAID, key="form_payment_already_made")
        if amount_cents is not None and payment.amount_cents != amount_cents:
            raise NotAllowed(CHANGED, key="form_payment_changed")
        # The balance may have changed since the draft (another payment, a new bill).
        _check_against_balance(svc, session, session.get(Account, account_id),
                               payment.amount_cents, payment.plan_id, excluding=payment.id)
        if payment.source != FORM_SOURCE:
            payment.source = FORM_SOURCE
            audit.record(session, "payment_on_card_form", at=svc.now(), account_id=account_id,
                         payment_id=payment.id, reference=payment.reference)
        if amount_cents is not None:
            # The pre-checkout: the form charges as soon as it is answered yes, so from now
            # the draft counts as in flight for every other money move (card_form_cents).
            payment.confirmed_at = svc.now()
        uow.commit()
        return detached(session, payment)


def record_external_payment(svc: Services, account_id: int, payment_id: int, *,
                            gateway_ref: str, amount_cents: int,
                            source: str = "telegram") -> Payment:
    """The payment form took `amount_cents` for the member's draft under charge `gateway_ref`:
    the draft succeeds and is applied to the bills. The same charge reported again changes
    nothing. Money taken is always recorded: if the draft was paid another way meanwhile, or
    its amount differs, the charge becomes a payment of its own (what no bill needs is credit)
    and operators are warned."""
    try:
        with svc.uow() as uow:
            session = uow.session
            lock_account(session, account_id)
            recorded = _recorded(session, source, gateway_ref)
            if recorded is not None:
                return detached(session, recorded, "method")
            draft = _owned_payment(session, account_id, payment_id)
            payment = draft if draft.amount_cents == amount_cents else None
            if payment is None or not _claim(svc, session, payment, source, gateway_ref):
                logger.warning("charge %s for payment %s could not pay that draft (status %s, "
                               "amount %s, charged %s): recorded as a payment of its own",
                               gateway_ref, draft.reference, draft.status, draft.amount_cents,
                               amount_cents)
                payment = new_payment(svc, session, account_id=account_id,
                                      amount_cents=amount_cents, method_id=None,
                                      plan_id=draft.plan_id, source=source,
                                      idempotency_key=_idempotency_key(source, gateway_ref))
                _claim(svc, session, payment, source, gateway_ref)
            apply_charge_result(svc, session, payment,
                                ChargeResult(status="succeeded", gateway_ref=gateway_ref))
            uow.commit()
            return detached(session, payment, "method")
    except IntegrityError:
        # The same charge, recorded at this moment by another worker.
        with svc.uow() as uow:
            recorded = _recorded(uow.session, source, gateway_ref)
            if recorded is None:
                raise
            return detached(uow.session, recorded, "method")


def _claim(svc: Services, session: Session, payment: Payment, source: str,
           gateway_ref: str) -> bool:
    """draft -> pending, conditionally, so one report of one charge moves it. The draft's saved
    method was not used: the form took the card."""
    now = svc.now()
    won = session.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.status == "draft")
        .values(status="pending", confirmed_at=now, source=source, method_id=None)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if won:
        session.refresh(payment)
        record_event(session, payment, "pending", PAID_NOTE, now)
        audit.record(session, "payment_confirmed", at=now, account_id=payment.account_id,
                     payment_id=payment.id, reference=payment.reference,
                     amount_cents=payment.amount_cents, source=source, gateway_ref=gateway_ref)
    return won


def _recorded(session: Session, source: str, gateway_ref: str) -> Payment | None:
    return session.scalar(select(Payment).where(
        Payment.source == source,
        or_(Payment.gateway_ref == gateway_ref,
            Payment.idempotency_key == _idempotency_key(source, gateway_ref))).limit(1))


def _idempotency_key(source: str, gateway_ref: str) -> str:
    return f"{source}-{gateway_ref}"

