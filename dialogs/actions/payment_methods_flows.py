"""Payment methods: the saved ones, adding one on the hosted page, choosing the default, and
removing one (reviewed and confirmed, behind the money guard; refused with the reason while
autopay uses it).

Buttons carry `method_action` (add, remove, default), then the chosen method's id in
`remove_method` or `default_method`; Confirm carries it in `method_confirm`, which must name
the removal under review (`method_review`). Ids are checked against the session member's own
methods.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogs.actions import runtime
from dialogs.actions.member_session import acting_member, money_guard
from dialogs.actions.method_choice import NOT_FOUND, send_setup_link, usable_methods
from dialogs.actions.money_flows import PENDING_REVIEW, drop_review, open_review_tapped
from dialogs.actions.money_texts import as_id, button, offer_log_in, refuse_payload
from services import payment_methods
from services.context import Services
from services.errors import DomainError, NotFound
from services.persistence.models import PaymentMethod

ACTION_SLOT = "method_action"
REMOVE_SLOT = "remove_method"
DEFAULT_SLOT = "default_method"
REVIEW_SLOT = "method_review"
CONFIRM_SLOT = "method_confirm"
INTENT = "manage_payment_methods"


class ActionManagePaymentMethods(Action):
    def name(self) -> str:
        return "action_manage_payment_methods"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        chosen = tracker.get_slot(ACTION_SLOT)
        to_remove = tracker.get_slot(REMOVE_SLOT)
        if chosen == "remove" or to_remove is not None:
            # Kept until the password is in, so the member goes on where they were.
            guard = money_guard(tracker, resume=self.name())
            if guard is not None:
                return guard
        used = [SlotSet(ACTION_SLOT, None), SlotSet(REMOVE_SLOT, None),
                SlotSet(DEFAULT_SLOT, None)]
        member = acting_member(tracker)
        if member is None:
            return used + offer_log_in(dispatcher, tracker, self.name())
        svc = runtime.services()
        methods = payment_methods.list_methods(svc, member)
        if to_remove is not None:
            return used + _review_removal(dispatcher, tracker, methods, to_remove)
        if tracker.get_slot(DEFAULT_SLOT) is not None:
            _make_default(dispatcher, tracker, svc, member, tracker.get_slot(DEFAULT_SLOT))
        elif chosen == "add":
            send_setup_link(dispatcher, svc, member, waiting=False)
            dispatcher.utter_message(text="When it's saved, I'll tell you here.")
        elif chosen == "remove" and methods:
            dispatcher.utter_message(text="Which one would you like to remove?", buttons=[
                *(button(payment_methods.method_label(method), INTENT,
                         **{REMOVE_SLOT: str(method.id)}) for method in methods),
                button("Never mind", "help")])
        elif chosen == "default" and methods:
            usable, _ = usable_methods(svc, member)
            dispatcher.utter_message(text="Which one should I offer first?", buttons=[
                *(button(payment_methods.method_label(method), INTENT,
                         **{DEFAULT_SLOT: str(method.id)}) for method in usable),
                button("Never mind", "help")])
        else:
            show_methods(dispatcher, svc, methods)
        return used


def show_methods(dispatcher: CollectingDispatcher, svc: Services,
                 methods: list[PaymentMethod]) -> None:
    add = button("Add a card or bank account", INTENT, **{ACTION_SLOT: "add"})
    if not methods:
        dispatcher.utter_message(text="You don't have a saved card or bank account yet.",
                                 buttons=[add])
        return
    today = svc.today()
    lines = ["Your saved payment methods:"] + [
        f"• {payment_methods.method_label(method, on=today)}"
        + (" (default)" if method.is_default else "") for method in methods]
    dispatcher.utter_message(text="\n".join(lines), buttons=[
        add, button("Remove…", INTENT, **{ACTION_SLOT: "remove"}),
        button("Make default…", INTENT, **{ACTION_SLOT: "default"})])


def _own(methods: list[PaymentMethod], value: object) -> PaymentMethod | None:
    method_id = as_id(value)
    return next((method for method in methods if method.id == method_id), None)


def _review_removal(dispatcher: CollectingDispatcher, tracker: Tracker,
                    methods: list[PaymentMethod], value: object) -> list[EventType]:
    method = _own(methods, value)
    if method is None:
        refuse_payload(dispatcher, tracker, f"payment method {value!r}", NOT_FOUND)
        return []
    dispatcher.utter_message(
        text=f"Remove {payment_methods.method_label(method)}? Payments already made with it "
             "stay in your history.",
        buttons=[button("Remove", "affirm", **{CONFIRM_SLOT: str(method.id)}),
                 button("Cancel", "cancel")])
    return drop_review() + [SlotSet(REVIEW_SLOT, str(method.id)),
                            SlotSet(PENDING_REVIEW, "method")]


def _make_default(dispatcher: CollectingDispatcher, tracker: Tracker, svc: Services,
                  member: int, value: object) -> None:
    method_id = as_id(value)
    try:
        if method_id is None:
            raise NotFound(NOT_FOUND)
        method = payment_methods.set_default(svc, member, method_id)
    except NotFound:
        refuse_payload(dispatcher, tracker, f"payment method {value!r}", NOT_FOUND)
        return
    except DomainError as refusal:
        dispatcher.utter_message(text=refusal.message)
        return
    dispatcher.utter_message(
        text=f"Done: {payment_methods.method_label(method)} is now your default.",
        buttons=[button("Payment methods", INTENT), button("Make a payment", "make_payment")])


class ActionConfirmMethodRemoval(Action):
    def name(self) -> str:
        return "action_confirm_method_removal"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        guard = money_guard(tracker, resume=self.name())
        if guard is not None:
            return guard
        reviewed = open_review_tapped(tracker, REVIEW_SLOT, CONFIRM_SLOT)
        used: list[EventType] = [SlotSet(CONFIRM_SLOT, None)]
        if reviewed is None:
            dispatcher.utter_message(text="That removal is no longer waiting for you, so "
                                          "nothing was removed.",
                                     buttons=[button("Payment methods", INTENT)])
            return used
        svc = runtime.services()
        member = acting_member(tracker)
        used += drop_review()
        try:
            payment_methods.remove_method(svc, member, int(reviewed))
        except NotFound:
            refuse_payload(dispatcher, tracker, f"payment method {reviewed!r}", NOT_FOUND)
            return used
        except DomainError as refusal:
            dispatcher.utter_message(text=refusal.message, buttons=[
                button("Manage autopay", "setup_autopay"), button("Payment methods", INTENT)])
            return used
        dispatcher.utter_message(text="Removed.")
        show_methods(dispatcher, svc, payment_methods.list_methods(svc, member))
        return used
