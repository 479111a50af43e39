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
from dialogs.actions.care_texts import method_name, titled
from dialogs.actions.member_session import acting_member, money_guard
from dialogs.actions.method_choice import NOT_FOUND, send_setup_link, usable_methods
from dialogs.actions.money_flows import PENDING_REVIEW, drop_review, open_review_tapped
from dialogs.actions.money_texts import as_id, button, offer_log_in, refuse_payload
from dialogs.actions.texts import buttons, refusal_text, text
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
            return used + _review_removal(dispatcher, tracker, domain, methods, to_remove)
        if tracker.get_slot(DEFAULT_SLOT) is not None:
            _make_default(dispatcher, tracker, domain, svc, member,
                          tracker.get_slot(DEFAULT_SLOT))
        elif chosen == "add":
            send_setup_link(dispatcher, svc, member, waiting=False)
            dispatcher.utter_message(response="utter_methods_will_tell_you")
        elif chosen == "remove" and methods:
            dispatcher.utter_message(
                text=text(domain, tracker, "utter_methods_which_to_remove"), buttons=[
                    *(button(method_name(domain, tracker, method), INTENT,
                             **{REMOVE_SLOT: str(method.id)}) for method in methods),
                    titled(domain, tracker, "never_mind", "help")])
        elif chosen == "default" and methods:
            usable, _ = usable_methods(svc, member)
            dispatcher.utter_message(
                text=text(domain, tracker, "utter_methods_which_default"), buttons=[
                    *(button(method_name(domain, tracker, method), INTENT,
                             **{DEFAULT_SLOT: str(method.id)}) for method in usable),
                    titled(domain, tracker, "never_mind", "help")])
        else:
            show_methods(dispatcher, tracker, domain, svc, methods)
        return used


def show_methods(dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
                 svc: Services, methods: list[PaymentMethod]) -> None:
    if not methods:
        dispatcher.utter_message(response="utter_methods_none")
        return
    today = svc.today()
    lines = [text(domain, tracker, "utter_methods_saved")] + [
        text(domain, tracker, "utter_methods_default_line" if method.is_default
             else "utter_methods_line", method=method_name(domain, tracker, method, on=today))
        for method in methods]
    dispatcher.utter_message(text="\n".join(lines),
                             buttons=buttons(domain, tracker, "utter_methods_saved"))


def _own(methods: list[PaymentMethod], value: object) -> PaymentMethod | None:
    method_id = as_id(value)
    return next((method for method in methods if method.id == method_id), None)


def _review_removal(dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
                    methods: list[PaymentMethod], value: object) -> list[EventType]:
    method = _own(methods, value)
    if method is None:
        refuse_payload(dispatcher, tracker, f"payment method {value!r}",
                       text(domain, tracker, "utter_methods_not_found"))
        return []
    dispatcher.utter_message(
        text=text(domain, tracker, "utter_methods_review_removal",
                  method=method_name(domain, tracker, method)),
        buttons=buttons(domain, tracker, "utter_methods_review_removal", id=method.id))
    return drop_review() + [SlotSet(REVIEW_SLOT, str(method.id)),
                            SlotSet(PENDING_REVIEW, "method")]


def _make_default(dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
                  svc: Services, member: int, value: object) -> None:
    method_id = as_id(value)
    try:
        if method_id is None:
            raise NotFound(NOT_FOUND)
        method = payment_methods.set_default(svc, member, method_id)
    except NotFound:
        refuse_payload(dispatcher, tracker, f"payment method {value!r}",
                       text(domain, tracker, "utter_methods_not_found"))
        return
    except DomainError as refusal:
        dispatcher.utter_message(text=refusal_text(refusal, tracker))
        return
    dispatcher.utter_message(
        text=text(domain, tracker, "utter_methods_default_done",
                  method=method_name(domain, tracker, method)),
        buttons=buttons(domain, tracker, "utter_methods_default_done"))


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
            dispatcher.utter_message(response="utter_methods_removal_closed")
            return used
        svc = runtime.services()
        member = acting_member(tracker)
        used += drop_review()
        try:
            payment_methods.remove_method(svc, member, int(reviewed))
        except NotFound:
            refuse_payload(dispatcher, tracker, f"payment method {reviewed!r}",
                           text(domain, tracker, "utter_methods_not_found"))
            return used
        except DomainError as refusal:
            dispatcher.utter_message(text=refusal_text(refusal, tracker), buttons=[
                titled(domain, tracker, "manage_autopay", "setup_autopay"),
                titled(domain, tracker, "payment_methods", INTENT)])
            return used
        dispatcher.utter_message(response="utter_methods_removed")
        show_methods(dispatcher, tracker, domain, svc, payment_methods.list_methods(svc, member))
        return used
