"""My payment isn't showing up: the member gives the reference (or taps one of their recent
payments), and sees its timeline and, for a bank payment, when it will settle. When it is
overdue, they can open a support request with the reference attached.

A reference that is not the member's own reads exactly like one that does not exist.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogs.actions import runtime
from dialogs.actions.member_session import acting_member
from dialogs.actions.money_flows import given_by_latest_message, not_started, start_form
from dialogs.actions.money_texts import (
    button,
    day,
    long_day,
    offer_log_in,
    refuse_payload,
    status_word,
)
from dialogs.actions.payment_confirm import paid_text
from dialogs.actions.support_request import stored_transcript
from services import billing, payments
from services.context import Services
from services.errors import DomainError, SupportLimitReached
from services.money import format_cents
from services.payment_trace import PaymentTrace
from services.references import normalize_reference
from services.support import open_support_request

FORM = "payment_missing_form"
SLOT = "payment_reference"
SUPPORT_SLOT = "support_for"
SUPPORT_TOPIC = "payment_missing"
NOT_A_REFERENCE = ("That doesn't look like a payment reference. References look like "
                   "HC-7K3M-9Q2D; please check it and try again.")


class ActionStartPaymentTrace(Action):
    def name(self) -> str:
        return "action_start_payment_trace"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        if acting_member(tracker) is None:
            return not_started(SlotSet(SLOT, None), *offer_log_in(dispatcher, tracker, self.name()))
        if tracker.get_slot(SLOT) and SLOT in given_by_latest_message(tracker):
            # "HC-7K3M-9Q2D hasn't shown up": nothing to ask.
            return not_started(FollowupAction("action_trace_payment"))
        return start_form(tracker, FORM, [SLOT], fresh_intent="payment_missing")


class ValidatePaymentMissingForm(FormValidationAction):
    def name(self) -> str:
        return "validate_payment_missing_form"

    def validate_payment_reference(self, value: Any, dispatcher: CollectingDispatcher,
                                   tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        reference = normalize_reference(value if isinstance(value, str) else None)
        if reference is None:
            dispatcher.utter_message(text=NOT_A_REFERENCE)
        return {SLOT: reference}


class ActionAskPaymentReference(Action):
    def name(self) -> str:
        return "action_ask_payment_reference"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        recent = billing.payment_history(runtime.services(), acting_member(tracker))
        text = "What's the payment's reference number? It looks like HC-7K3M-9Q2D."
        if recent:
            text += " Or tap one of your recent payments:"
        dispatcher.utter_message(text=text, buttons=[
            *(button(f"{p.reference} · {format_cents(p.amount_cents)} · {day(p.date)}",
                     "payment_missing", **{SLOT: p.reference}) for p in recent),
            button("Cancel", "cancel")])
        return []


class ActionTracePayment(Action):
    def name(self) -> str:
        return "action_trace_payment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        used = [SlotSet(SLOT, None)]
        member = acting_member(tracker)
        if member is None:
            return used + offer_log_in(dispatcher, tracker, None)
        svc = runtime.services()
        try:
            trace = payments.trace_payment(svc, member, tracker.get_slot(SLOT) or "")
        except DomainError as refusal:
            dispatcher.utter_message(text=refusal.message, buttons=[
                button("Payment history", "payment_history"),
                button("Talk to a person", "talk_to_human")])
            return used
        text, buttons = trace_text(svc, trace)
        dispatcher.utter_message(text=text, buttons=buttons)
        return used


def trace_text(svc: Services, trace: PaymentTrace) -> tuple[str, list[dict[str, str]]]:
    zone = ZoneInfo(svc.policy.time_zone)
    method = f" from {trace.method_label}" if trace.method_label else ""
    lines = [f"Payment {trace.reference}: {format_cents(trace.amount_cents)}{method}, "
             f"{status_word(trace.status)}."]
    lines += [f"• {event.at.astimezone(zone):%a, %b %-d, %-I:%M %p}: {event.note}"
              for event in trace.timeline]
    buttons = [button("What do I owe", "check_balance")]
    if trace.paid:
        lines.append(f"It paid {paid_text(trace.paid, 0)}.")
    if trace.status == "processing" and trace.expected_settlement_on:
        settle = long_day(trace.expected_settlement_on)
        lines.append(f"It was due to settle by {settle}." if trace.overdue
                     else f"Bank payments take a few business days: it should settle by "
                          f"{settle}.")
    if trace.status in ("declined", "failed"):
        buttons.insert(0, button("Why was it declined?", "payment_declined"))
    if trace.status == "requires_action" and trace.action_url:
        lines.append(f"Please finish it on this secure page: {trace.action_url}")
    if trace.overdue:
        lines.append("This is taking longer than it should. I can open a support request with "
                     "this reference, so our team looks into it.")
        buttons.insert(0, button("Open a support request", "affirm",
                                 **{SUPPORT_SLOT: trace.reference}))
    return "\n".join(lines), buttons


class ActionOpenPaymentSupportRequest(Action):
    """Hands an overdue payment to the exchange's staff, with its reference."""

    def name(self) -> str:
        return "action_open_payment_support_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        used = [SlotSet(SUPPORT_SLOT, None)]
        member = acting_member(tracker)
        if member is None:
            return used + offer_log_in(dispatcher, tracker, None)
        svc = runtime.services()
        value = tracker.get_slot(SUPPORT_SLOT)
        try:
            # Only the member's own payment: the payload could name anyone's.
            trace = payments.trace_payment(svc, member, str(value))
        except DomainError:
            refuse_payload(dispatcher, tracker, f"payment reference {value!r}",
                           "I couldn't find a payment with that reference on your account.")
            return used
        channel, chat_id = runtime.chat_of(tracker)
        try:
            handoff = open_support_request(
                svc, account_id=member, channel=channel, chat_id=chat_id, topic=SUPPORT_TOPIC,
                transcript=stored_transcript(channel, chat_id), payment_reference=trace.reference)
        except SupportLimitReached as limit:
            dispatcher.utter_message(text=limit.message)
            return used
        done = (f"I've added payment {trace.reference} to your open support request "
                f"{handoff.number}." if handoff.added_to else
                f"I've opened support request {handoff.number} about payment "
                f"{trace.reference}.")
        dispatcher.utter_message(
            text=f"{done} Our team will answer within "
                 f"{svc.policy.support_answer_within}. For anything urgent, call "
                 f"{svc.policy.phone} (TTY {svc.policy.tty}).",
            buttons=[button("What do I owe", "check_balance")])
        return used

