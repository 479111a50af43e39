"""Make a payment, the end: the review (a draft, nothing charged), Confirm, and what happened.

The Confirm button carries the draft's id. Only the review the member is looking at now
(`payment_draft`) is confirmed; a Confirm tapped again, or on an old message, for a payment
already submitted shows that payment's result and charges nothing (confirm_payment is
idempotent per draft). Any other id — a review the member cancelled, or someone else's payment
— is "not found", and nothing is charged.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogs.actions import runtime
from dialogs.actions.member_session import acting_member, money_guard
from dialogs.actions.money_flows import PENDING_REVIEW, drop_review
from dialogs.actions.money_texts import (
    Domain,
    as_id,
    day,
    method_title,
    money,
    month,
    offer_log_in,
    plan_title,
    refuse_payload,
    status_word,
    words,
)
from dialogs.actions.payment_form import ANSWERS, FORM, plan_id_of
from dialogs.actions.texts import language_of, refusal_text
from services import billing, payments
from services.context import Services
from services.errors import DomainError, InvalidAmount, MethodUnusable, NotAllowed, NotFound
from services.payment_preview import preview_payment
from services.payment_trace import PaidLine, trace_payment
from services.persistence.models import Payment
from services.troubleshooting import explain_decline

CONFIRM_SLOT = "confirm_payment"
DRAFT_SLOT = "payment_draft"
NOT_FOUND = "utter_payment_not_found"  # with its Make a payment button


class ActionReviewPayment(Action):
    """Make the draft and show what it will do; Confirm charges it."""

    def name(self) -> str:
        return "action_review_payment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        member = acting_member(tracker)
        if member is None:
            return _forget_answers() + offer_log_in(dispatcher, tracker, None)
        svc = runtime.services()
        plan_id = plan_id_of(billing.account_summary(svc, member), tracker.get_slot("payment_plan"))
        amount = tracker.get_slot("payment_amount")
        try:
            draft = payments.create_draft(svc, member, amount_cents=amount, plan_id=plan_id,
                                          method_id=int(tracker.get_slot("payment_method")))
        except DomainError as refusal:
            # The bill or the method changed since the question was answered: ask again.
            dispatcher.utter_message(text=refusal_text(refusal, tracker))
            return _ask_again_after(refusal)
        preview = preview_payment(svc, member, amount_cents=amount, plan_id=plan_id)
        # The Confirm button's payload carries the draft's id: {"confirm_payment": "<draft>"}.
        dispatcher.utter_message(
            response="utter_payment_review", amount=money(amount, tracker),
            method=method_title(draft.method, domain, tracker), date=day(svc.today(), tracker),
            pays=paid_text(preview.lines, preview.credit_cents, domain, tracker),
            draft=str(draft.id))
        return _forget_answers() + [SlotSet(DRAFT_SLOT, str(draft.id)),
                                    SlotSet(PENDING_REVIEW, "payment")]


def _forget_answers() -> list[EventType]:
    return [SlotSet(slot, None) for slot in ANSWERS]


def _ask_again_after(refusal: DomainError) -> list[EventType]:
    if isinstance(refusal, InvalidAmount):
        return [SlotSet("payment_amount", None), FollowupAction(FORM)]
    if isinstance(refusal, MethodUnusable | NotFound):
        return [SlotSet("payment_method", None), FollowupAction(FORM)]
    return _forget_answers()  # nothing to pay any more


class ActionConfirmPayment(Action):
    def name(self) -> str:
        return "action_confirm_payment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        # Checked before the tap is used up, so after the password it goes on from here.
        guard = money_guard(tracker, resume=self.name())
        if guard is not None:
            return guard
        events: list[EventType] = [SlotSet(CONFIRM_SLOT, None)]
        svc = runtime.services()
        member = acting_member(tracker)
        current = as_id(tracker.get_slot(DRAFT_SLOT))
        tapped = tracker.get_slot(CONFIRM_SLOT)
        payment_id = current if tapped is None else as_id(tapped)
        if payment_id is None:
            if tapped is None:
                dispatcher.utter_message(response="utter_no_payment_waiting")
            else:
                refuse_payload(dispatcher, tracker, f"payment {tapped!r}", NOT_FOUND)
            return events
        if payment_id == current:
            return events + drop_review() + _confirm(dispatcher, tracker, domain, svc, member,
                                                     payment_id)
        if _submitted(svc, member, payment_id):
            payment = payments.confirm_payment(svc, member, payment_id)
            dispatcher.utter_message(response="utter_payment_already_submitted",
                                     reference=payment.reference,
                                     status=status_word(payment.status, domain, tracker))
            tell_outcome(dispatcher, svc, member, payment, domain, tracker)
        else:
            refuse_payload(dispatcher, tracker, f"payment {payment_id}", NOT_FOUND)
        return events


def _confirm(dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
             svc: Services, member: int, payment_id: int) -> list[EventType]:
    try:
        payment = payments.confirm_payment(svc, member, payment_id)
    except NotFound:
        refuse_payload(dispatcher, tracker, f"payment {payment_id}", NOT_FOUND)
        return []
    except (InvalidAmount, MethodUnusable, NotAllowed) as refusal:
        # The balance or the method changed since the review: nothing was charged.
        dispatcher.utter_message(response="utter_payment_not_charged",
                                 refusal=refusal_text(refusal, tracker))
        return []
    tell_outcome(dispatcher, svc, member, payment, domain, tracker)
    return []


def _submitted(svc: Services, member: int, payment_id: int) -> bool:
    """Is this the member's own payment, past its review? (The history lists only those.)"""
    newest = billing.payment_history(svc, member, limit=1, before_id=payment_id + 1)
    return bool(newest) and newest[0].payment_id == payment_id


def tell_outcome(dispatcher: CollectingDispatcher, svc: Services, member: int,
                 payment: Payment, domain: Domain = None, tracker: Tracker | None = None) -> None:
    """What happened to the payment just confirmed, and what to do next."""
    amount, reference = money(payment.amount_cents, tracker), payment.reference
    if payment.status == "succeeded":
        paid = trace_payment(svc, member, reference).paid
        credit = payment.amount_cents - sum(line.amount_cents for line in paid)
        dispatcher.utter_message(response="utter_payment_received", amount=amount,
                                 reference=reference,
                                 pays=paid_text(paid, credit, domain, tracker))
    elif payment.status == "processing":
        dispatcher.utter_message(response="utter_bank_payment_on_its_way", amount=amount,
                                 reference=reference,
                                 settle_by=day(payment.expected_settlement_on, tracker))
    elif payment.status in ("declined", "failed") and payment.decline_code:
        explanation = explain_decline(payment.decline_code, method_kind=payment.method.kind,
                                      language=language_of(tracker))
        steps = "\n".join(f"• {step}" for step in explanation.next_steps)
        dispatcher.utter_message(
            response="utter_payment_declined", title=explanation.title,
            explanation=explanation.explanation, steps=steps, reference=reference,
            buttons=[{"title": title, "payload": payload}
                     for title, payload in explanation.suggested_buttons])
    elif payment.status == "failed":
        dispatcher.utter_message(response="utter_payment_service_failed", reference=reference)
    elif payment.status == "requires_action":
        dispatcher.utter_message(response="utter_payment_needs_confirmation",
                                 url=payment.action_url, reference=reference)
    else:
        dispatcher.utter_message(response="utter_payment_being_checked", amount=amount,
                                 reference=reference)


def paid_text(lines: tuple[PaidLine, ...], credit_cents: int, domain: Domain = None,
              tracker: Tracker | None = None) -> str:
    """"Health, December 2026 ($412.50); Dental, December 2026 ($29.00)"."""
    parts = [words(domain, tracker, "utter_paid_line",
                   plan=plan_title(line.plan_kind, domain, tracker),
                   month=month(line.coverage_month, tracker),
                   amount=money(line.amount_cents, tracker)) for line in lines]
    if credit_cents > 0:
        parts.append(words(domain, tracker, "utter_paid_credit",
                           credit=money(credit_cents, tracker)))
    return "; ".join(parts) or words(domain, tracker, "utter_paid_nothing")
