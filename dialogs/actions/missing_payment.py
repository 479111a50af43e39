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
from dialogs.actions.care_texts import (
    answer_within,
    clock_time,
    label_of,
    month_and_year,
    titled,
)
from dialogs.actions.member_session import acting_member
from dialogs.actions.money_flows import given_by_latest_message, not_started, start_form
from dialogs.actions.money_texts import button, offer_log_in, refuse_payload
from dialogs.actions.texts import (
    DEFAULT_LANGUAGE,
    language_of,
    long_date,
    money,
    refusal_text,
    short_day,
    text,
)
from services import billing, payments
from services.context import Services
from services.errors import DomainError, SupportLimitReached
from services.payment_trace import PaidLine, PaymentTrace
from services.references import normalize_reference
from services.support import open_support_request

FORM = "payment_missing_form"
SLOT = "payment_reference"
SUPPORT_SLOT = "support_for"
SUPPORT_TOPIC = "payment_missing"
# The timeline notes services/payment_outcomes.py writes, each a response utter_trace_note_<kind>.
# (services/payments.py and external_payments.py write three more).
NOTE_KINDS = ("succeeded", "processing", "declined", "requires_action", "failed", "unanswered",
              "refused", "prepared", "sent", "paid_in_app")


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
            dispatcher.utter_message(response="utter_trace_not_a_reference")
        return {SLOT: reference}


class ActionAskPaymentReference(Action):
    def name(self) -> str:
        return "action_ask_payment_reference"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        recent = billing.payment_history(runtime.services(), acting_member(tracker))
        question = text(domain, tracker, "utter_trace_ask_reference")
        if recent:
            question += " " + text(domain, tracker, "utter_trace_or_tap_recent")
        dispatcher.utter_message(text=question, buttons=[
            *(button(f"{p.reference} · {money(p.amount_cents, tracker)} · "
                     f"{short_day(p.date, tracker)}", "payment_missing", **{SLOT: p.reference})
              for p in recent),
            titled(domain, tracker, "cancel", "cancel")])
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
            dispatcher.utter_message(text=refusal_text(refusal, tracker), buttons=[
                titled(domain, tracker, "payment_history", "payment_history"),
                titled(domain, tracker, "talk_to_a_person", "talk_to_human")])
            return used
        message, buttons = trace_text(domain, tracker, svc, trace)
        dispatcher.utter_message(text=message, buttons=buttons)
        return used


def trace_text(domain: DomainDict, tracker: Tracker, svc: Services,
               trace: PaymentTrace) -> tuple[str, list[dict[str, str]]]:
    values = {"reference": trace.reference, "amount": money(trace.amount_cents, tracker),
              "status": text(domain, tracker, f"utter_trace_status_{trace.status}")
              if (domain.get("responses") or {}).get(f"utter_trace_status_{trace.status}")
              else trace.status}
    lines = [text(domain, tracker, "utter_trace_heading_from",
                  method=label_of(domain, tracker, trace.method_parts), **values)
             if trace.method_parts
             else text(domain, tracker, "utter_trace_heading", **values)]
    lines += [text(domain, tracker, "utter_trace_event", day=short_day(event.at.astimezone(
        ZoneInfo(svc.policy.time_zone)).date(), tracker), time=clock_time(svc, event.at, tracker),
        note=_note(domain, tracker, event.note, event.status)) for event in trace.timeline]
    buttons = [titled(domain, tracker, "what_do_i_owe", "check_balance")]
    if trace.paid:
        lines.append(text(domain, tracker, "utter_trace_it_paid",
                          paid="; ".join(_paid_line(domain, tracker, line)
                                         for line in trace.paid)))
    if trace.status == "processing" and trace.expected_settlement_on:
        lines.append(text(domain, tracker, "utter_trace_was_due_to_settle" if trace.overdue
                          else "utter_trace_should_settle",
                          date=long_date(trace.expected_settlement_on, tracker)))
    if trace.status in ("declined", "failed"):
        buttons.insert(0, titled(domain, tracker, "why_declined", "payment_declined"))
    if trace.status == "requires_action" and trace.action_url:
        lines.append(text(domain, tracker, "utter_trace_finish_on_page", url=trace.action_url))
    if trace.overdue:
        lines.append(text(domain, tracker, "utter_trace_overdue"))
        buttons.insert(0, titled(domain, tracker, "open_support_request", "affirm",
                                 **{SUPPORT_SLOT: trace.reference}))
    return "\n".join(lines), buttons


def _note(domain: DomainDict, tracker: Tracker, note: str, status: str) -> str:
    """A timeline note in the member's language. Notes are stored as they were written, in
    English (services/payment_outcomes.py, payments.py); each known one is a response
    (`utter_trace_note_<kind>`) whose English text it starts with. In English the note is
    shown as stored (with its details, such as "Expected by ..."); in another language, a
    note not known (a refund's own text) reads as its status word."""
    responses = domain.get("responses") or {}
    for kind in NOTE_KINDS:
        name = f"utter_trace_note_{kind}"
        english = next((v.get("text") for v in responses.get(name) or ()
                        if not v.get("condition")), None)
        if english and (note == english or note.startswith(f"{english} ")):
            said = text(domain, tracker, name)
            return note if said == english else said
    status_name = f"utter_trace_status_{status}"
    if language_of(tracker) == DEFAULT_LANGUAGE or not responses.get(status_name):
        return note
    return text(domain, tracker, status_name).capitalize() + "."


def _paid_line(domain: DomainDict, tracker: Tracker, line: PaidLine) -> str:
    """"Health, December 2026 ($412.50)"."""
    plan = f"utter_care_plan_{line.plan_kind}"
    return text(domain, tracker, "utter_trace_paid_line",
                plan=text(domain, tracker, plan) if (domain.get("responses") or {}).get(plan)
                else line.plan_kind.capitalize(),
                month=month_and_year(line.coverage_month, tracker),
                amount=money(line.amount_cents, tracker))


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
                           text(domain, tracker, "utter_trace_reference_not_found"))
            return used
        channel, chat_id = runtime.chat_of(tracker)
        try:
            handoff = open_support_request(
                svc, account_id=member, channel=channel, chat_id=chat_id, topic=SUPPORT_TOPIC,
                transcript=runtime.transcript(channel, chat_id),
                payment_reference=trace.reference)
        except SupportLimitReached as limit:
            dispatcher.utter_message(text=refusal_text(limit, tracker))
            return used
        dispatcher.utter_message(
            response="utter_trace_support_added_to" if handoff.added_to
            else "utter_trace_support_opened",
            reference=trace.reference, number=handoff.number,
            answer_within=answer_within(domain, tracker, svc.policy.support_answer_within),
            phone=svc.policy.phone,
            tty=svc.policy.tty)
        return used

