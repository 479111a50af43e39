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
from dialogs.actions.money_texts import as_id, button, long_day, offer_log_in, status_word
from services import billing
from services.billing import PaymentView
from services.money import format_cents

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
            text = "There are no older payments." if before else "You haven't made any " \
                "payments yet."
            dispatcher.utter_message(text=text, buttons=[button("Make a payment",
                                                                 "make_payment")])
            return events
        heading = "Older payments:" if before else "Your latest payments:"
        buttons = []
        if len(found) > PAGE:
            buttons.append(button("Show older", "payment_history",
                                  **{CURSOR_SLOT: str(page[-1].payment_id)}))
        buttons.append(button("Payment not showing?", "payment_missing"))
        dispatcher.utter_message(text="\n".join([heading, *map(history_line, page)]),
                                 buttons=buttons)
        return events


def history_line(payment: PaymentView) -> str:
    parts = [long_day(payment.date), format_cents(payment.amount_cents)]
    if payment.method_label:
        parts.append(payment.method_label)
    if payment.source == "autopay":
        parts.append("autopay")
    parts += [status_word(payment.status), payment.reference]
    return "• " + " · ".join(parts)
