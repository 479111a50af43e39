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
from dialogs.actions.care_texts import method_name, titled
from dialogs.actions.member_session import acting_member
from dialogs.actions.missing_payment import trace_text
from dialogs.actions.money_texts import offer_log_in
from dialogs.actions.texts import language_of, long_date, money, text
from services import billing, payments
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
            trace, buttons = trace_text(
                domain, tracker, svc, payments.trace_payment(svc, member, latest.reference))
            opening = text(domain, tracker, "utter_declined_none" if payment is None
                           else "utter_declined_latest_not_declined")
            dispatcher.utter_message(text=f"{opening}\n{trace}", buttons=[
                *buttons, titled(domain, tracker, "payment_history", "payment_history")])
            return []
        if payment is None:
            dispatcher.utter_message(response="utter_declined_none")
            return []
        kind = payment.method.kind if payment.method else "card"
        explanation = explain_decline(payment.decline_code, method_kind=kind,
                                      language=language_of(tracker))
        made = (payment.confirmed_at or payment.created_at).astimezone(
            ZoneInfo(svc.policy.time_zone)).date()
        values = {"amount": money(payment.amount_cents, tracker),
                  "date": long_date(made, tracker), "reference": payment.reference}
        heading = text(domain, tracker, "utter_declined_payment_with", **values,
                       method=method_name(domain, tracker, payment.method)) if payment.method \
            else text(domain, tracker, "utter_declined_payment", **values)
        lines = [heading, f"{explanation.title}. {explanation.explanation}",
                 *(f"• {step}" for step in explanation.next_steps)]
        if billing.account_summary(svc, member).total_due_cents == 0:
            lines.append(text(domain, tracker, "utter_declined_paid_since"))
        dispatcher.utter_message(text="\n".join(lines), buttons=[
            {"title": title, "payload": payload}
            for title, payload in explanation.suggested_buttons])
        return []
