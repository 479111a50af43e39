"""What a gateway's answer does to a payment: its status, the invoices it pays, its timeline.

A payment moves:  draft -> pending (confirmed; the gateway is being asked) -> one of
  succeeded        the money is in: allocated to the oldest open invoices at once;
  processing       a bank debit settling (up to `bank_settlement_business_days`);
  declined         refused at once, with the gateway's decline code;
  requires_action  the member must finish it on a secure page (3-D Secure);
and later  processing -> succeeded | failed (the bank returned it: its invoices stay open),
requires_action -> succeeded | processing | declined, and declined | failed -> succeeded.

Only these moves exist, and every one goes forward, so answers arriving late or out of order
(a webhook's `processing` after its `succeeded`) are ignored: this table is the one place that
decides it, for confirms, reconciliation and webhooks alike. Succeeded is final.

Each move is a conditional UPDATE on the status the payment was read in, so when a confirm
and a reconciliation (or two workers) apply the same answer, exactly one of them allocates.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from services import audit, events
from services.business_days import add_business_days
from services.context import Services
from services.ledger import allocate
from services.persistence.models import Account, Payment, PaymentEvent
from services.ports import ChargeResult
from services.troubleshooting import is_soft_decline

DO_NOT_TRY_AGAIN = "do_not_try_again"

_NEXT_STATUS = {
    ("pending", "succeeded"): "succeeded",
    ("pending", "processing"): "processing",
    ("pending", "declined"): "declined",
    ("pending", "requires_action"): "requires_action",
    ("processing", "succeeded"): "succeeded",
    ("processing", "declined"): "failed",
    ("requires_action", "succeeded"): "succeeded",
    ("requires_action", "processing"): "processing",
    ("requires_action", "declined"): "declined",
    # The gateway says it took the money after all (the member finished authenticating the
    # same PaymentIntent): money taken is always recorded, or the member would pay twice.
    ("declined", "succeeded"): "succeeded",
    ("failed", "succeeded"): "succeeded",
}


def may_retry_automatically(payment: Payment) -> bool:
    """May a declined payment's method be charged again later without the member? Only for a
    soft decline, and never when the issuer advised against it (advice_code
    "do_not_try_again": the networks forbid retrying those and charge for each retry)."""
    return (is_soft_decline(payment.decline_code)
            and payment.advice_code != DO_NOT_TRY_AGAIN)


def next_status(current: str, reported: str) -> str | None:
    """Where a payment in `current` goes when the gateway reports `reported`; None: nowhere."""
    return _NEXT_STATUS.get((current, reported))


# Timeline notes are shown to the member as they are: never the real reason of a decline
# (a lost or stolen card must read like any other decline).
_NOTES = {
    "succeeded": "Payment received and applied to your bill.",
    "processing": "Bank payment submitted; it is settling with your bank.",
    "declined": "The payment was declined.",
    "requires_action": "Waiting for you to confirm the payment on the secure page.",
    "failed": "Your bank returned the payment; the amount is still owed.",
}
UNANSWERED_NOTE = "The payment service didn't answer in time; we are checking the result."
REFUSED_NOTE = "The payment service couldn't process this payment; you were not charged."


def record_event(session: Session, payment: Payment, status: str, note: str, at) -> None:
    session.add(PaymentEvent(payment_id=payment.id, at=at, status=status, note=note))


def apply_charge_result(svc: Services, session: Session, payment: Payment,
                        result: ChargeResult) -> bool:
    """Move the payment on by the gateway's answer; False when the answer changes nothing or
    another worker already applied it."""
    new_status = next_status(payment.status, result.status)
    if new_status is None:
        return False
    values: dict = {"gateway_ref": result.gateway_ref}
    if new_status == "succeeded":
        values["settled_at"] = svc.now()
    elif new_status == "processing":
        values["expected_settlement_on"] = add_business_days(
            svc.today(), svc.policy.bank_settlement_business_days)
    elif new_status in ("declined", "failed"):
        # An off-session authentication_required decline comes with the page where the
        # member can still finish the same payment.
        values.update(decline_code=result.decline_code, advice_code=result.advice_code,
                      action_url=result.action_url)
    elif new_status == "requires_action":
        values["action_url"] = result.action_url
    note = _NOTES[new_status]
    if new_status == "processing":
        note += f" Expected by {values['expected_settlement_on']:%B %-d, %Y}."
    return _move(svc, session, payment, new_status, values, note)


def apply_unwatched_result(svc: Services, session: Session, payment: Payment,
                           result: ChargeResult) -> bool:
    """An answer nobody waits for in the chat (reconciliation, a webhook). When it settles a
    payment still pending, the confirm that sent it never told the member (it timed out, or
    its process died between the charge and the commit), so the timeline says so first:
    payment_notices then tells the member how it ended."""
    if payment.status == "pending" and next_status("pending", result.status):
        note_unanswered(svc, session, payment)
    return apply_charge_result(svc, session, payment, result)


def note_unanswered(svc: Services, session: Session, payment: Payment) -> None:
    """Once on a payment's timeline: its confirmation got no answer in time."""
    if not any(event.note == UNANSWERED_NOTE for event in payment.events):
        record_event(session, payment, "pending", UNANSWERED_NOTE, svc.now())
        session.flush()  # before the outcome's event, whose later id marks it as late


def apply_refusal(svc: Services, session: Session, payment: Payment) -> bool:
    """The gateway refused the request itself (GatewayRequestError), so nothing was charged:
    the payment fails rather than staying pending for reconciliation to send again."""
    if payment.status != "pending":
        return False
    return _move(svc, session, payment, "failed", {}, REFUSED_NOTE)


def _move(svc: Services, session: Session, payment: Payment, new_status: str, values: dict,
          note: str) -> bool:
    now = svc.now()
    moved = session.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.status == payment.status)
        .values(status=new_status, **values)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    if moved != 1:
        return False
    session.refresh(payment)
    if new_status == "succeeded":
        enrollment_id = session.get(Account, payment.account_id).enrollment_id
        allocate(session, payment, enrollment_id, payment.amount_cents)
    record_event(session, payment, new_status, note, now)
    audit.record(session, f"payment_{new_status}", at=now, account_id=payment.account_id,
                 payment_id=payment.id, reference=payment.reference,
                 amount_cents=payment.amount_cents, decline_code=payment.decline_code)
    events.emit("payment_moved", status=new_status, source=payment.source,
                decline_code=payment.decline_code, payment_id=payment.id)
    return True
