"""My payment was declined: the member's latest declined payment, why, in plain words, and what
to do next. A lost, stolen or fraud decline reads as a generic decline (the troubleshooting
service decides; this never sees the real reason of those)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogs.actions import runtime
from dialogs.actions.member_session import acting_member
from dialogs.actions.missing_payment import trace_text
from dialogs.actions.money_texts import button, long_day, offer_log_in
from services import billing, payment_methods, payments
from services.money import format_cents
from services.troubleshooting import explain_decline


class ActionExplainDeclinedPayment(Action):
    def name(self) -> str:
        return "action_explain_declined_payment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        member = acting_member(tracker)
        if member is None:
            return offer_log_in(dispatcher, tracker, self.name())
        svc = runtime.services()
        payment = payments.latest_declined_payment(svc, member)
        latest = next(iter(payments.recent_payments(svc, member, limit=1)), None)
        if latest is not None and (payment is None or latest.id != payment.id):
            # "Did it go through?": the latest payment was not declined; say where it stands.
            text, buttons = trace_text(svc, payments.trace_payment(svc, member, latest.reference))
            opening = ("I don't see any declined payments on your account." if payment is None
                       else "Your latest payment wasn't declined.")
            dispatcher.utter_message(text=f"{opening}\n{text}", buttons=[
                *buttons, button("Payment history", "payment_history")])
            return []
        if payment is None:
            dispatcher.utter_message(
                text="I don't see any declined payments on your account.",
                buttons=[button("Payment history", "payment_history"),
                         button("What do I owe", "check_balance")])
            return []
        kind = payment.method.kind if payment.method else "card"
        explanation = explain_decline(payment.decline_code, method_kind=kind)
        made = (payment.confirmed_at or payment.created_at).astimezone(
            ZoneInfo(svc.policy.time_zone)).date()
        method = f" with {payment_methods.method_label(payment.method)}" if payment.method \
            else ""
        lines = [f"Your payment of {format_cents(payment.amount_cents)} on {long_day(made)}"
                 f"{method} (reference {payment.reference}) didn't go through.",
                 f"{explanation.title}. {explanation.explanation}",
                 *(f"• {step}" for step in explanation.next_steps)]
        if billing.account_summary(svc, member).total_due_cents == 0:
            lines.append("You've paid since then: nothing is due now.")
        dispatcher.utter_message(text="\n".join(lines), buttons=[
            {"title": title, "payload": payload}
            for title, payload in explanation.suggested_buttons])
        return []
