"""Money taken back after a payment succeeded, or given back: refunds, disputes (a card
chargeback, or a bank debit returned as unauthorized after it settled) and how they end.

Each gateway event is applied once (webhook_events). The payment stays `succeeded`, and what
was taken back is counted in its refunded_cents / disputed_cents: the ledger reopens what it
paid (ledger.reverse: negative allocations, latest bills first, so each bill is past due from
its own due date and a grace period counts from there), the payment's timeline and the audit
log say what happened, and in the same transaction the member is told in plain words through
the outbox. The exchange's staff then get a support request with the details; the audit
record is the durable trail should opening it fail.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from services import audit
from services.adapters.stripe_events import PaymentReversal
from services.context import Services
from services.detached import detached
from services.ledger import allocate, due_cents, outstanding, reverse
from services.money import format_cents
from services.notice_language import buttons_in, notice_lines
from services.notice_texts import PAY_NOW, PAYMENT_HISTORY
from services.outbox import NewNotification, enqueue
from services.payment_outcomes import record_event
from services.persistence.models import Account, Payment
from services.support import open_support_request
from services.webhook_events import EventNotReady, ReceivedEvent, claim_event

logger = logging.getLogger(__name__)

# A payment money can be taken back from only once it succeeded: it may still get there.
_NOT_SETTLED_YET = ("pending", "processing", "requires_action")
# The payment's timeline entry and the support request's topic, by kind of reversal.
_TIMELINE = {"refund": "refunded", "dispute_opened": "disputed",
             "dispute_won": "dispute_won", "dispute_lost": "dispute_lost"}


@dataclass(frozen=True)
class _Moved:
    cents: int  # how much this event moved (for dispute_lost: what the member's bank kept)
    reopened_cents: int  # of it, what came off bills (a refund of credit reopens nothing)


def apply_payment_reversal(svc: Services, reversal: PaymentReversal, *,
                           event: ReceivedEvent) -> Payment | None:
    """Apply a refund or dispute event once. Returns the payment when it changed; None for a
    replayed event, a payment HealthPay does not know or that never succeeded, or news that
    changes nothing (a refund total no higher than the one already applied)."""
    with svc.uow() as uow:
        session = uow.session
        record = claim_event(session, event, svc.now())
        if record is None:
            return None
        payment = session.scalar(select(Payment).where(
            Payment.gateway_ref == reversal.gateway_ref).with_for_update())
        if payment is not None and payment.status in _NOT_SETTLED_YET:
            # Its success is on its way (events come in any order): until then, no record.
            raise EventNotReady(f"payment {payment.id} is {payment.status}, not succeeded")
        if payment is None or payment.status != "succeeded":
            logger.info("event %s (%s) names no succeeded HealthPay payment", event.id,
                        event.type)
            uow.commit()
            return None
        record.payment_id = payment.id
        account = session.get(Account, payment.account_id)
        moved = _move_money(session, payment, account.enrollment_id, reversal)
        if moved is None:
            uow.commit()
            return None
        now = svc.now()
        owed = due_cents(outstanding(session, account_id=account.id,
                                     enrollment_id=account.enrollment_id))
        # The timeline keeps HealthPay's own (English) words, as for every other event; the
        # member is told in their language.
        record_event(session, payment, _TIMELINE[reversal.kind],
                     _member_text(svc, payment, reversal, moved, owed, "en"), now)
        text = _member_text(svc, payment, reversal, moved, owed, account.language)
        audit.record(session, f"payment_{_TIMELINE[reversal.kind]}", at=now,
                     account_id=account.id, payment_id=payment.id, reference=payment.reference,
                     amount_cents=moved.cents, reopened_cents=moved.reopened_cents,
                     reason=reversal.reason, event_id=event.id)
        enqueue(session, [NewNotification(
            account_id=account.id, kind="payment_reversal", dedupe_key=f"reversal:{event.id}",
            text=text, buttons=buttons_in(account.language, [PAY_NOW, PAYMENT_HISTORY] if owed
                                          else [PAYMENT_HISTORY]),
        )], now=now)
        uow.commit()
        payment = detached(session, payment)
    _tell_support(svc, payment, reversal, moved, text)
    return payment


def _move_money(session: Session, payment: Payment, enrollment_id: int,
                reversal: PaymentReversal) -> _Moved | None:
    counted = payment.amount_cents - payment.refunded_cents - payment.disputed_cents
    if reversal.kind == "refund":
        # Stripe reports the total refunded so far: only the part not applied yet is new.
        cents = min(min(reversal.amount_cents, payment.amount_cents) - payment.refunded_cents,
                    counted)
        if cents <= 0:
            return None
        payment.refunded_cents += cents
        return _Moved(cents, reverse(session, payment, cents))
    if reversal.kind == "dispute_opened":
        cents = min(reversal.amount_cents, counted)
        if cents <= 0:
            return None
        payment.disputed_cents += cents
        return _Moved(cents, reverse(session, payment, cents))
    cents = min(reversal.amount_cents, payment.disputed_cents)
    if cents <= 0:
        return None
    if reversal.kind == "dispute_lost":
        return _Moved(cents, 0)  # already taken back when the dispute opened
    payment.disputed_cents -= cents
    session.flush()
    return _Moved(cents, -allocate(session, payment, enrollment_id, cents))


def _member_text(svc: Services, payment: Payment, reversal: PaymentReversal, moved: _Moved,
                 owed: int, language: str | None) -> str:
    what = {"amount_cents": moved.cents, "reference": payment.reference}
    still_owed = ("still_owed", {"balance_cents": owed}) if owed else ("nothing_owed", {})
    if reversal.kind == "refund":
        if not moved.reopened_cents:
            return notice_lines(language, ("refund_from_credit", what))
        return notice_lines(language, ("refund", what), still_owed)
    if reversal.kind == "dispute_opened":
        return notice_lines(language, ("dispute_opened", what), still_owed,
                            ("dispute_opened_call_bank", {}))
    if reversal.kind == "dispute_won":
        return notice_lines(language, ("dispute_won", {**what, "exchange": svc.policy.name}))
    return notice_lines(language, ("dispute_lost", what), still_owed)


def _tell_support(svc: Services, payment: Payment, reversal: PaymentReversal, moved: _Moved,
                  text: str) -> None:
    try:
        open_support_request(
            svc, account_id=payment.account_id, channel="gateway", chat_id="-",
            topic=f"payment_{_TIMELINE[reversal.kind]}",
            transcript=[f"gateway: {_TIMELINE[reversal.kind]} {format_cents(moved.cents)} "
                        f"(reason: {reversal.reason or 'none given'}), "
                        f"{format_cents(moved.reopened_cents)} back on the bills",
                        f"bot: {text}"],
            payment_reference=payment.reference, daily_limit=False)
    except Exception:  # noqa: BLE001 - the reversal is applied and audited; a lost request must not undo it
        logger.exception("could not open a support request about payment %s", payment.id)
