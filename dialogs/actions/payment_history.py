"""Payment history: the member's latest payments, five at a time, older ones on request.

"Show older" carries the id of the last payment shown: only a position in the list. The list is
always the session member's own, whatever the payload says.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogs.actions import runtime
from dialogs.actions.member_session import acting_member
from dialogs.actions.money_texts import (
    Domain,
    as_id,
    button_of,
    label_title,
    long_day,
    money,
    offer_log_in,
    status_word,
    words,
)
from services import billing
from services.billing import PaymentView

PAGE = 5
CURSOR_SLOT = "history_before"


class ActionShowPaymentHistory(Action):
    def name(self) -> str:
        return "action_show_payment_history"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        events = [SlotSet(CURSOR_SLOT, None)]
        member = acting_member(tracker)
        if member is None:
            return events + offer_log_in(dispatcher, tracker, self.name())
        before = as_id(tracker.get_slot(CURSOR_SLOT))
        # One more than a page: whether there is an older page to offer.
        found = billing.payment_history(runtime.services(), member, limit=PAGE + 1,
                                        before_id=before)
        page = found[:PAGE]
        if not page:
            dispatcher.utter_message(
                response="utter_no_older_payments" if before else "utter_no_payments_yet")
            return events
        heading = words(domain, tracker, "utter_history_older_heading" if before
                        else "utter_history_heading")
        buttons = []
        if len(found) > PAGE:
            buttons.append(button_of(domain, tracker, "utter_button_show_older",
                                     "payment_history",
                                     {CURSOR_SLOT: str(page[-1].payment_id)}))
        buttons.append(button_of(domain, tracker, "utter_button_payment_missing",
                                 "payment_missing"))
        lines = [history_line(payment, domain, tracker) for payment in page]
        dispatcher.utter_message(text="\n".join([heading, *lines]), buttons=buttons)
        return events


def history_line(payment: PaymentView, domain: Domain = None,
                 tracker: Tracker | None = None) -> str:
    parts = [long_day(payment.date, tracker), money(payment.amount_cents, tracker)]
    if payment.method_brand:
        parts.append(label_title(payment.method_brand, payment.method_last4 or "",
                                 payment.method_nickname, domain, tracker))
    if payment.source == "autopay":
        parts.append(words(domain, tracker, "utter_history_autopay"))
    parts += [status_word(payment.status, domain, tracker), payment.reference]
    return "• " + " · ".join(parts)
