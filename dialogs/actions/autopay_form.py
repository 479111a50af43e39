"""Autopay, the questions (`autopay_form`): which method, the full balance or a fixed amount
(and which), monthly or quarterly, and how many days before the due date to charge. The same
form changes a mandate: the terms kept are filled in beforehand, so it asks only what changes.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogs.actions import runtime
from dialogs.actions.autopay_words import autopay_words
from dialogs.actions.member_session import acting_member
from dialogs.actions.method_choice import ask_for_method, chosen_method
from dialogs.actions.money_texts import entity_value, keyword_choice
from dialogs.actions.reminder_input import ReminderInputError, parse_reminder_days
from dialogs.actions.texts import refusal_text, text
from services.autopay import MAX_DAYS_BEFORE_DUE
from services.errors import InvalidAmount
from services.money import check_amount, parse_amount

FORM = "autopay_form"
ANSWERS = ("autopay_method", "autopay_amount_rule", "autopay_fixed_amount",
           "autopay_frequency", "autopay_days_before")
FULL_BALANCE, FIXED = "full_balance", "fixed"


class ValidateAutopayForm(FormValidationAction):
    def name(self) -> str:
        return "validate_autopay_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        if tracker.get_slot("autopay_amount_rule") != FIXED:
            return [slot for slot in domain_slots if slot != "autopay_fixed_amount"]
        return domain_slots

    def validate_autopay_method(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        member = acting_member(tracker)
        method_id = None if member is None else chosen_method(
            dispatcher, tracker, runtime.services(), member, value)
        return {"autopay_method": None if method_id is None else str(method_id)}

    def validate_autopay_amount_rule(self, value: Any, dispatcher: CollectingDispatcher,
                                     tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        # The keywords of every language (data/languages/<code>/autopay_words.yml).
        rule = keyword_choice(value, autopay_words().answers["amount_rule"])
        # "a fixed amount of 50", "$50 every time": the rule and its amount in one answer.
        cents = _typed_cents(value, tracker) if rule in (FIXED, None) else None
        if cents is not None:
            return {"autopay_amount_rule": FIXED, "autopay_fixed_amount": cents}
        if rule is None:
            dispatcher.utter_message(response="utter_autopay_choose_amount_rule")
        return {"autopay_amount_rule": rule}

    def validate_autopay_fixed_amount(self, value: Any, dispatcher: CollectingDispatcher,
                                      tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        max_cents = runtime.services().config.max_payment_cents
        try:
            if isinstance(value, int) and not isinstance(value, bool):
                cents = check_amount(value, max_cents=max_cents)
            else:
                cents = _typed_cents(value, tracker)
                if cents is None:
                    cents = parse_amount(str(value), max_cents=max_cents)
                cents = check_amount(cents, max_cents=max_cents)
        except InvalidAmount as refusal:
            dispatcher.utter_message(text=refusal_text(refusal, tracker))
            return {"autopay_fixed_amount": None}
        return {"autopay_fixed_amount": cents}

    def validate_autopay_frequency(self, value: Any, dispatcher: CollectingDispatcher,
                                   tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        frequency = keyword_choice(value, autopay_words().answers["frequency"])
        if frequency is None:
            dispatcher.utter_message(response="utter_autopay_choose_frequency")
        return {"autopay_frequency": frequency}

    def validate_autopay_days_before(self, value: Any, dispatcher: CollectingDispatcher,
                                     tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        days = _days(value)
        if days is None:
            dispatcher.utter_message(response="utter_autopay_days_not_understood",
                                     max_days=MAX_DAYS_BEFORE_DUE)
        return {"autopay_days_before": days}


def _typed_cents(value: Any, tracker: Tracker) -> int | None:
    """The amount in a typed answer: "$50", or one the NLU read in words ("fifty dollars")."""
    try:
        return parse_amount(str(value))
    except InvalidAmount:
        found = entity_value(tracker, "amount")
        return found if isinstance(found, int) and not isinstance(found, bool) else None


def _days(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        days = [value]
    else:
        try:
            days = parse_reminder_days(str(value))
        except ReminderInputError:
            return None
    if len(days) != 1 or not 0 <= days[0] <= MAX_DAYS_BEFORE_DUE:
        return None
    return days[0]


class ActionAskAutopayMethod(Action):
    def name(self) -> str:
        return "action_ask_autopay_method"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        ask_for_method(dispatcher, tracker, runtime.services(), acting_member(tracker),
                       text(domain, tracker, "utter_autopay_which_method"))
        return []
