"""Paying a premium: a draft the member checks, then a confirmation that charges exactly once.

The idempotency key is fixed when the draft is made (`hp-pay-<reference>`), so every confirm,
retry and reconciliation of that draft asks the gateway with the same key and the gateway
charges once. The draft becomes `pending` and is committed before the gateway is called: a
crash or timeout after the charge leaves a pending payment with its key, which
`reconcile_payment` resolves without charging again.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from services import audit, events
from services.account_lock import lock_account
from services.context import Services
from services.detached import detached
from services.errors import (
    GatewayRequestError,
    GatewayUnavailable,
    InvalidAmount,
    NotAllowed,
    NotFound,
)
from services.ledger import due_cents, outstanding
from services.money import check_amount, format_cents
from services.payment_methods import get_chargeable_method
from services.payment_outcomes import (
    apply_charge_result,
    apply_refusal,
    apply_unwatched_result,
    note_unanswered,
    record_event,
)
from services.payment_queries import (
    latest_declined_payment,
    pending_payments,
    processing_payments,
    recent_payments,
)
from services.payment_trace import PaymentTrace, trace_payment
from services.persistence.models import Account, Payment, Plan
from services.ports import PAYMENT_RETURN_PATH, ChargeRequest, ChargeResult
from services.references import new_reference

__all__ = [
    "PaymentTrace", "card_form_cents", "charge_claimed", "claim_draft", "confirm_payment",
    "create_draft", "latest_declined_payment", "new_payment", "pending_payments",
    "processing_payments", "reconcile_payment", "recent_payments", "trace_payment",
]

logger = logging.getLogger(__name__)

PAYMENT_NOT_FOUND = "I couldn't find that payment."
# A draft the member opened on a chat app's own card form (Telegram) is held by that form: the
# form may charge it at any moment, so a typed "yes" must not charge it too.
FORM_SOURCE = "telegram"
# After the form's pre-checkout is answered yes, Telegram charges at once and reports it in
# seconds; a draft approved longer ago than this was not charged (the card was declined).
FORM_CHARGE_WINDOW = dt.timedelta(minutes=10)
ON_CARD_FORM = ("This payment is open on the card form in the chat: please pay it there, or "
                "start a new payment.")
# Card networks and Stripe refuse US-dollar charges under $0.50.
MIN_PAYMENT_CENTS = 50


def create_draft(svc: Services, account_id: int, *, amount_cents: int, method_id: int,
                 plan_id: int | None = None) -> Payment:
    """A payment for the member to check before confirming; nothing is charged yet."""
    with svc.uow() as uow:
        session = uow.session
        account = _account(session, account_id)
        check_amount(amount_cents, max_cents=svc.config.max_payment_cents)
        if amount_cents < MIN_PAYMENT_CENTS:
            raise InvalidAmount(
                f"The smallest payment I can take is {format_cents(MIN_PAYMENT_CENTS)}.",
                key="amount_under_minimum", least_cents=MIN_PAYMENT_CENTS)
        if plan_id is not None and session.scalar(select(Plan.id).where(
                Plan.id == plan_id, Plan.enrollment_id == account.enrollment_id)) is None:
            raise NotFound("I couldn't find that plan on your account.", key="plan_not_found")
        _check_against_balance(svc, session, account, amount_cents, plan_id)
        method = get_chargeable_method(session, account_id, method_id, svc.today())
        payment = new_payment(svc, session, account_id=account_id, amount_cents=amount_cents,
                              method_id=method.id, plan_id=plan_id, source="member")
        uow.commit()
        return detached(session, payment, "method")


def new_payment(svc: Services, session: Session, *, account_id: int, amount_cents: int,
                method_id: int, plan_id: int | None, source: str,
                idempotency_key: str | None = None) -> Payment:
    """Add a draft with a fresh reference; the key defaults to one derived from it."""
    reference = new_reference()
    while session.scalar(select(Payment.id).where(Payment.reference == reference)) is not None:
        reference = new_reference()
    now = svc.now()
    payment = Payment(
        account_id=account_id, reference=reference, amount_cents=amount_cents,
        idempotency_key=idempotency_key or f"hp-pay-{reference}", method_id=method_id,
        plan_id=plan_id, status="draft", source=source, created_at=now,
        # Fixed now, from today's settings: a retry sends what the first try sent.
        charge_description=_charge_description(svc, reference),
        return_url=f"{svc.config.public_base_url.rstrip('/')}{PAYMENT_RETURN_PATH}",
    )
    session.add(payment)
    session.flush()
    record_event(session, payment, "draft", "Payment prepared, waiting for your go-ahead.", now)
    return payment


def confirm_payment(svc: Services, account_id: int, payment_id: int) -> Payment:
    """Charge a draft once. A payment already past draft comes back as it is; a pending one
    (a timeout, a crash) is resolved with the gateway under the same key, never charged anew.
    The balance re-check and the claim run under the account's money lock, so two drafts of
    one bill (two chats, autopay beside the member) cannot both be charged."""
    with svc.uow() as uow:
        session = uow.session
        lock_account(session, account_id)
        payment = _owned_payment(session, account_id, payment_id)
        if payment.status not in ("draft", "pending"):
            return detached(session, payment, "method")
        sent_before = payment.status == "pending"
        if not sent_before and not _mark_pending(svc, session, payment):
            # Claimed by someone not holding the lock (a bug elsewhere): that one charges.
            uow.rollback()
            return detached(session, session.get(Payment, payment_id), "method")
    return _ask_gateway(svc, payment_id, ask_first=sent_before, charge_if_unseen=True,
                        member_waiting=True)


def charge_claimed(svc: Services, payment_id: int) -> Payment:
    """Send a payment its caller has just claimed (claim_draft) to the gateway."""
    return _ask_gateway(svc, payment_id, ask_first=False, charge_if_unseen=True,
                        member_waiting=True)


def _mark_pending(svc: Services, session: Session, payment: Payment) -> bool:
    """Re-check the member's draft, then claim it: draft -> pending, committed before any
    charge. The caller holds the account's money lock."""
    if payment.source == FORM_SOURCE:
        raise NotAllowed(ON_CARD_FORM, key="payment_on_card_form")
    # The balance may have changed since the draft (another payment, a new bill).
    _check_against_balance(svc, session, _account(session, payment.account_id),
                           payment.amount_cents, payment.plan_id, excluding=payment.id)
    return claim_draft(svc, session, payment)


def claim_draft(svc: Services, session: Session, payment: Payment) -> bool:
    """draft -> pending and commit, once the caller (holding the account's money lock) has
    re-checked what the draft may pay. The method must still be chargeable. False if the
    draft was no longer a draft."""
    get_chargeable_method(session, payment.account_id, payment.method_id, svc.today())
    now = svc.now()
    won = session.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.status == "draft")
        .values(status="pending", confirmed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if won:
        record_event(session, payment, "pending", "Sent to the payment service.", now)
        audit.record(session, "payment_confirmed", at=now, account_id=payment.account_id,
                     payment_id=payment.id, reference=payment.reference,
                     amount_cents=payment.amount_cents, source=payment.source)
        session.commit()
    return won


def reconcile_payment(svc: Services, payment_id: int) -> Payment:
    """Settle a payment whose outcome is not final by asking the gateway about its key.
    A pending payment the gateway never saw is charged with the same key; idempotent."""
    with svc.uow() as uow:
        status = uow.session.scalar(select(Payment.status).where(Payment.id == payment_id))
    if status is None:
        raise NotFound(PAYMENT_NOT_FOUND, key="payment_not_found")
    return _ask_gateway(svc, payment_id, charge_if_unseen=status == "pending", ask_first=True,
                        member_waiting=False)


def _ask_gateway(svc: Services, payment_id: int, *, charge_if_unseen: bool,
                 ask_first: bool, member_waiting: bool) -> Payment:
    with svc.uow() as uow:
        payment = uow.session.get(Payment, payment_id)
        account = uow.session.get(Account, payment.account_id)
        request = ChargeRequest(
            amount_cents=payment.amount_cents,
            method_token=payment.method.gateway_token,
            idempotency_key=payment.idempotency_key,
            customer_id=account.gateway_customer_id,
            off_session=payment.source == "autopay",
            description=payment.charge_description
            or _charge_description(svc, payment.reference),
            metadata={"reference": payment.reference, "account_id": str(account.id)},
            return_url=payment.return_url,
        )
        gateway_ref = payment.gateway_ref
        request_account_id = account.id
    result: ChargeResult | None = None
    refused = False
    try:
        if ask_first:
            result = svc.gateway.retrieve(idempotency_key=request.idempotency_key,
                                          gateway_ref=gateway_ref)
        if result is None and charge_if_unseen:
            result = svc.gateway.charge(request)
    except GatewayUnavailable:
        events.emit("gateway_error", gateway=svc.gateway.name, kind="unavailable")
        logger.warning("gateway did not answer for payment %s; it stays pending", payment_id,
                       extra={"payment_id": payment_id})
        result = None
    except GatewayRequestError:
        # A request the gateway will never accept (a bug, not the member's doing): recorded
        # for operators, and the payment fails instead of being sent again and again.
        events.emit("gateway_error", gateway=svc.gateway.name, kind="refused")
        logger.exception("gateway refused payment %s", payment_id,
                         extra={"payment_id": payment_id})
        refused = True
    with svc.uow() as uow:
        session = uow.session
        # Outcomes are applied one at a time per account: a succeeded payment is allocated to
        # the same open invoices another payment of the account may be paying.
        lock_account(session, request_account_id)
        payment = session.get(Payment, payment_id)
        if refused:
            apply_refusal(svc, session, payment)
        elif result is not None:
            apply = apply_charge_result if member_waiting else apply_unwatched_result
            apply(svc, session, payment, result)
        elif payment.status == "pending":
            note_unanswered(svc, session, payment)
        uow.commit()
        return detached(session, payment, "method")


def _charge_description(svc: Services, reference: str) -> str:
    return f"{svc.policy.name} premium, payment {reference}"


def _account(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound("I couldn't find your account. Please log in again.",
                       key="account_not_found")
    return account


def _owned_payment(session: Session, account_id: int, payment_id: int) -> Payment:
    """The member's own payment; someone else's is "not found", exactly like a missing one."""
    payment = session.scalar(
        select(Payment).where(Payment.id == payment_id, Payment.account_id == account_id))
    if payment is None:
        raise NotFound(PAYMENT_NOT_FOUND, key="payment_not_found")
    return payment


def _check_against_balance(svc: Services, session: Session, account: Account,
                           amount_cents: int, plan_id: int | None, *,
                           excluding: int | None = None) -> None:
    """Refuse paying more than is owed (unless overpayment is allowed). `excluding`: the
    draft being checked, when it is itself on the card form."""
    items = outstanding(session, account_id=account.id, enrollment_id=account.enrollment_id)
    owed = due_cents(items, plan_id=plan_id)
    if owed == 0:
        in_flight = sum(item.pending_cents for item in items
                        if plan_id in (None, item.invoice.plan_id))
        if in_flight:
            raise NotAllowed(f"Nothing more is due: {format_cents(in_flight)} you already paid "
                             "is being processed.", key="payment_in_flight",
                             in_flight_cents=in_flight)
        raise NotAllowed("You don't owe anything right now, so there is nothing to pay.",
                         key="nothing_owed")
    on_form = card_form_cents(svc, session, account.id, plan_id=plan_id, excluding=excluding)
    if on_form and amount_cents > owed - on_form and not svc.config.allow_overpayment:
        raise NotAllowed(f"A payment of {format_cents(on_form)} on the card form in the chat "
                         "is going through right now. Please check your balance again in a "
                         "few minutes.", key="card_form_payment_going_through",
                         on_form_cents=on_form)
    if amount_cents > owed and not svc.config.allow_overpayment:
        raise InvalidAmount(f"That's more than you owe ({format_cents(owed)}). "
                            f"Please pay {format_cents(owed)} or less.",
                            key="amount_over_balance", owed_cents=owed)


def card_form_cents(svc: Services, session: Session, account_id: int, *,
                    plan_id: int | None = None, excluding: int | None = None) -> int:
    """What drafts on the chat app's card form may be charged for right now: the form's
    pre-checkout was answered yes (confirmed_at) within FORM_CHARGE_WINDOW, and the form
    charges at once, outside our gateway, before telling us. Until it does they are still
    drafts, so the balance does not show them: every other money move counts them here.
    For one plan, drafts for that plan and for the oldest bills first (plan None) count."""
    query = select(func.coalesce(func.sum(Payment.amount_cents), 0)).where(
        Payment.account_id == account_id, Payment.status == "draft",
        Payment.source == FORM_SOURCE,
        Payment.confirmed_at >= svc.now() - FORM_CHARGE_WINDOW)
    if excluding is not None:
        query = query.where(Payment.id != excluding)
    if plan_id is not None:
        query = query.where(or_(Payment.plan_id.is_(None), Payment.plan_id == plan_id))
    return session.scalar(query)
