"""Make a payment, the questions: which plan (only when health and dental both have a balance),
how much (the amount due, or any amount typed in any common way), and with which method. The
review and Confirm follow in payment_confirm.

Amounts are refused here with the service's reasons (zero, negative, more than two decimals,
over the maximum, over the balance unless overpaying is allowed); create_draft checks them all
again at the review.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogs.actions import runtime
from dialogs.actions.answers import answer
from dialogs.actions.choice_words import asks_a_question, choice
from dialogs.actions.member_session import acting_member, money_guard
from dialogs.actions.method_choice import ask_for_method, chosen_method
from dialogs.actions.money_flows import not_started, start_form
from dialogs.actions.money_texts import (
    button_of,
    entity_value,
    money,
    offer_log_in,
    plan_title,
    share_of,
    words,
)
from dialogs.actions.per_call import read_once
from dialogs.actions.texts import language_of, refusal_text
from services import billing, payments
from services.answer_texts import answers_for
from services.billing import AccountSummary
from services.errors import InvalidAmount
from services.money import check_amount, format_cents, parse_amount

FORM = "payment_form"
ANSWERS = ("payment_plan", "payment_amount", "payment_method")
BOTH = "both"
OTHER_AMOUNT = "other"
MAKE_PAYMENT = "make_payment"


class ActionStartPayment(Action):
    def name(self) -> str:
        return "action_start_payment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        if acting_member(tracker) is None and asks_a_question(
                tracker, tracker.latest_message.get("text") or ""):
            # "how can i pay?" from a visitor is a question, answered without an account; the
            # log-in is offered, not forced.
            other_ways = answer(answers_for(language_of(tracker)), "other_ways_to_pay",
                                runtime.services(), None, language_of(tracker))
            dispatcher.utter_message(response="utter_pay_once_logged_in", other_ways=other_ways)
            return not_started()
        guard = money_guard(tracker, resume=self.name())
        if guard is not None:
            return not_started(*guard)
        summary = billing.account_summary(runtime.services(), acting_member(tracker))
        if summary.total_due_cents == 0:
            if summary.pending_cents:
                dispatcher.utter_message(response="utter_nothing_to_pay_pending",
                                         pending=money(summary.pending_cents, tracker))
            else:
                dispatcher.utter_message(response="utter_nothing_to_pay")
            return not_started()
        return start_form(tracker, FORM, ANSWERS, fresh_intent=MAKE_PAYMENT)


def owed_cents(summary: AccountSummary, plan: str | None) -> int:
    return sum(line.balance_cents for line in summary.plans
               if plan in (None, BOTH, line.kind))


def plan_id_of(summary: AccountSummary, plan: str | None) -> int | None:
    """The plan a payment is for; None pays the oldest bills first, whatever their plan."""
    return next((line.plan_id for line in summary.plans if line.kind == plan), None)


def _owed_plans(summary: AccountSummary) -> list[str]:
    return [line.kind for line in summary.plans if line.balance_cents > 0]


def _named_a_paid_plan(tracker: Tracker, summary: AccountSummary | None) -> bool:
    """The latest message named a plan with nothing owed on it ("pay 10 on dental")."""
    named = entity_value(tracker, "plan_type") or entity_value(tracker, "payment_plan")
    return (summary is not None and named in {line.kind for line in summary.plans}
            and owed_cents(summary, str(named)) == 0)


def _read(tracker: Tracker) -> tuple[int | None, AccountSummary | None]:
    """The acting member (from the chat session) and their bills, read once per action call
    (dialogs/actions/per_call.py)."""
    def read() -> tuple[int | None, AccountSummary | None]:
        member = acting_member(tracker)
        return member, (None if member is None
                        else billing.account_summary(runtime.services(), member))
    return read_once(tracker, "bills", read)


def _summary(tracker: Tracker) -> AccountSummary | None:
    return _read(tracker)[1]


class ValidatePaymentForm(FormValidationAction):
    def name(self) -> str:
        return "validate_payment_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        summary = _summary(tracker)
        if tracker.get_slot("payment_plan") is None and (
                summary is None or len(_owed_plans(summary)) < 2) and not (
                _named_a_paid_plan(tracker, summary)):
            return [slot for slot in domain_slots if slot != "payment_plan"]
        return domain_slots

    def validate_payment_plan(self, value: Any, dispatcher: CollectingDispatcher,
                              tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        plan = choice(tracker, "payment_plan", value)
        summary = _summary(tracker)
        if plan is None and _asks_to_pay_again(tracker):
            return {"payment_plan": None}  # the question is asked again, without a scolding
        if plan is None or summary is None:
            dispatcher.utter_message(response="utter_choose_plan")
            return {"payment_plan": None}
        if owed_cents(summary, plan) == 0:
            # "pay 10 on dental" when dental is paid: the money must not quietly go to another
            # plan, so the amount goes too and the plan is asked again.
            dispatcher.utter_message(response="utter_plan_already_paid",
                                     plan=plan_title(plan, domain, tracker).lower())
            return {"payment_plan": None, "payment_amount": None}
        return {"payment_plan": plan}

    def validate_payment_amount(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if value == OTHER_AMOUNT:
            return {"payment_amount": None}  # asked again, for a typed amount
        if _named_a_paid_plan(tracker, _summary(tracker)):
            return {"payment_amount": None}  # meant for a paid plan: asked again for another
        if _asks_to_pay_again(tracker) and not isinstance(value, int) and not (
                entity_value(tracker, "amount") or entity_value(tracker, "amount_share")):
            return {"payment_amount": None}  # the question is asked again, without a scolding
        svc = runtime.services()
        try:
            summary = _summary(tracker)
            owed = owed_cents(summary, tracker.get_slot("payment_plan")) if summary else 0
            cents = _read_amount(value, tracker, svc.config.max_payment_cents, owed)
            _check_payable(cents, owed, allow_overpayment=svc.config.allow_overpayment)
        except InvalidAmount as refusal:
            dispatcher.utter_message(text=refusal_text(refusal, tracker))
            return {"payment_amount": None}
        return {"payment_amount": cents}

    def validate_payment_method(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        member, _ = _read(tracker)
        if member is None:
            return {"payment_method": None}
        said = CollectingDispatcher()  # why a method was not taken, said only for an answer
        method_id = chosen_method(said, tracker, runtime.services(), member, value, domain)
        if method_id is None and _asks_to_pay_again(tracker):
            return {"payment_method": None}  # the question is asked again, without a scolding
        dispatcher.messages.extend(said.messages)
        return {"payment_method": None if method_id is None else str(method_id)}


def _asks_to_pay_again(tracker: Tracker) -> bool:
    """The member's message asks to pay ("hola, quiero pagar mi factura") while the form is
    asking its questions: it is the request again, not an answer to the question. Only a word
    of the answer it carries (a plan, an amount, a method) is taken."""
    return tracker.get_intent_of_latest_message() == MAKE_PAYMENT


def _read_amount(value: Any, tracker: Tracker, max_cents: int, owed: int) -> int:
    """Cents from a button (a number) or from what the member typed."""
    if isinstance(value, int) and not isinstance(value, bool):
        return check_amount(value, max_cents=max_cents)
    try:
        return parse_amount(str(value), max_cents=max_cents)
    except InvalidAmount:
        # "I'll pay 120 today", "one hundred": the NLU found the amount in the sentence.
        found = entity_value(tracker, "amount")
        if isinstance(found, int) and not isinstance(found, bool):
            return check_amount(found, max_cents=max_cents)
        share = share_of(entity_value(tracker, "amount_share"), owed)
        if share is not None:
            return check_amount(share, max_cents=max_cents)
        raise


def _check_payable(cents: int, owed: int, *, allow_overpayment: bool) -> None:
    if cents < payments.MIN_PAYMENT_CENTS:
        raise InvalidAmount(
            f"The smallest payment I can take is {format_cents(payments.MIN_PAYMENT_CENTS)}.",
            key="amount_under_minimum", least_cents=payments.MIN_PAYMENT_CENTS)
    if cents > owed and not allow_overpayment:
        raise InvalidAmount(f"That's more than you owe ({format_cents(owed)}). "
                            f"Please pay {format_cents(owed)} or less.",
                            key="amount_over_balance", owed_cents=owed)


class ActionAskPaymentPlan(Action):
    def name(self) -> str:
        return "action_ask_payment_plan"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        summary = _summary(tracker)
        owed = [line for line in summary.plans if line.balance_cents > 0]
        buttons = [button_of(domain, tracker, "utter_button_plan", "inform",
                             {"payment_plan": line.kind},
                             plan=plan_title(line.kind, domain, tracker),
                             amount=money(line.balance_cents, tracker)) for line in owed]
        if len(owed) < 2:
            # Asked only after the member named a plan that is paid: ask before paying another.
            buttons.append(button_of(domain, tracker, "utter_button_no_thanks", "cancel"))
            if owed:
                dispatcher.utter_message(
                    response="utter_ask_pay_other_plan", buttons=buttons,
                    plan=plan_title(owed[0].kind, domain, tracker).lower())
            else:
                dispatcher.utter_message(response="utter_ask_pay_anything_else", buttons=buttons)
            return []
        buttons.insert(0, button_of(domain, tracker, "utter_button_both_plans", "inform",
                                    {"payment_plan": BOTH},
                                    amount=money(summary.total_due_cents, tracker)))
        dispatcher.utter_message(response="utter_ask_which_plan", buttons=buttons)
        return []


class ActionAskPaymentAmount(Action):
    def name(self) -> str:
        return "action_ask_payment_amount"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        if entity_value(tracker, "payment_amount") == OTHER_AMOUNT:
            dispatcher.utter_message(response="utter_ask_typed_amount")
            return []
        summary = _summary(tracker)
        if summary is None:  # the session ended while the form waited (timed out, logged out)
            return offer_log_in(dispatcher, tracker, None)
        plan = tracker.get_slot("payment_plan")
        owed = owed_cents(summary, plan)
        past_due = sum(line.past_due_cents for line in summary.plans
                       if plan in (None, BOTH, line.kind))
        buttons = [button_of(domain, tracker, "utter_button_pay_amount_due", "inform",
                             {"payment_amount": owed}, amount=money(owed, tracker))]
        if 0 < past_due < owed:
            buttons.append(button_of(domain, tracker, "utter_button_pay_past_due", "inform",
                                     {"payment_amount": past_due},
                                     amount=money(past_due, tracker)))
        buttons.append(button_of(domain, tracker, "utter_button_another_amount", "inform",
                                 {"payment_amount": OTHER_AMOUNT}))
        if plan in ("health", "dental"):
            dispatcher.utter_message(response="utter_ask_amount_owed_on_plan",
                                     owed=money(owed, tracker),
                                     plan=plan_title(plan, domain, tracker).lower(),
                                     buttons=buttons)
        else:
            dispatcher.utter_message(response="utter_ask_amount_owed", owed=money(owed, tracker),
                                     buttons=buttons)
        return []


class ActionAskPaymentMethod(Action):
    def name(self) -> str:
        return "action_ask_payment_method"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        ask_for_method(dispatcher, tracker, runtime.services(), acting_member(tracker),
                       words(domain, tracker, "utter_ask_which_method"), domain)
        return []
