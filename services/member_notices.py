"""Messages pushed to a member's chat when something finishes away from the chat: a method saved
on a hosted page, a payment the gateway settled or declined later.

They go through `svc.notifier` when one is set. Sending is the last step, after the change is
committed: a notifier that fails is logged and never undoes what happened.
"""

from __future__ import annotations

import logging

from services.context import Services
from services.money import format_cents
from services.payment_methods import method_label
from services.persistence.models import Payment, PaymentMethod
from services.troubleshooting import explain_decline

logger = logging.getLogger(__name__)

Buttons = list[dict[str, str]]

AFTER_METHOD_ADDED: Buttons = [
    {"title": "Pay now", "payload": "/make_payment"},
    {"title": "Something else", "payload": "/help"},
]


def notify_method_added(svc: Services, account_id: int, method: PaymentMethod) -> None:
    _send(svc, account_id, f"Your {method_label(method)} is saved. Would you like to pay now?",
          AFTER_METHOD_ADDED)


def notify_payment_result(svc: Services, payment: Payment) -> None:
    """Tell the member where a payment stands now. `payment.method` must be loaded (the
    decline explanation depends on whether it was a card or a bank account)."""
    reference, amount = payment.reference, format_cents(payment.amount_cents)
    buttons: Buttons | None = None
    if payment.status == "succeeded":
        text = f"Your payment {reference} of {amount} has gone through."
    elif payment.status == "processing":
        text = (f"Your bank payment {reference} of {amount} is on its way. It should settle "
                f"by {payment.expected_settlement_on:%B %-d, %Y}.")
    elif payment.status in ("declined", "failed"):
        kind = payment.method.kind if payment.method else "card"
        why = explain_decline(payment.decline_code, method_kind=kind)
        text = " ".join([f"Your payment {reference} of {amount} didn't go through.",
                         why.explanation, *why.next_steps])
        buttons = [{"title": title, "payload": payload}
                   for title, payload in why.suggested_buttons]
    else:
        return
    _send(svc, payment.account_id, text, buttons)


def _send(svc: Services, account_id: int, text: str, buttons: Buttons | None) -> None:
    if svc.notifier is None:
        return
    try:
        svc.notifier.send_to_member(account_id, text, buttons)
    except Exception:  # noqa: BLE001 - the change is committed; a lost message must not undo it
        logger.exception("could not notify account %s", account_id)
