"""Autopay: show it, set it up, change, pause, resume or cancel it — each with a review and an
explicit Confirm, each behind the money guard.

Buttons carry what the member chose: `autopay_action` (change, pause, resume, cancel) and
`autopay_change` (which term to change) on /setup_autopay, and on Confirm `autopay_confirm`,
which must name the review the member is looking at (`autopay_review`).
"""

from __future__ import annotations

import calendar
import datetime as dt

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from text_to_num import alpha2digit

from dialogs.actions import runtime
from dialogs.actions.autopay_form import ANSWERS, FIXED, FORM, FULL_BALANCE
from dialogs.actions.autopay_words import autopay_words
from dialogs.actions.care_texts import method_name, month_and_year, ordinal, titled
from dialogs.actions.member_session import acting_member, money_guard
from dialogs.actions.money_flows import (
    FLOW_READY,
    PENDING_REVIEW,
    drop_review,
    not_started,
    open_review_tapped,
    start_form,
)
from dialogs.actions.money_texts import button, entity_value, offer_log_in
from dialogs.actions.texts import (
    buttons,
    language_of,
    long_date,
    money,
    refusal_text,
    short_day,
    text,
)
from services import autopay, payment_methods
from services.autopay import MAX_DAYS_BEFORE_DUE
from services.context import Services
from services.errors import DomainError
from services.persistence.models import AutopayMandate, PaymentMethod

REVIEW_SLOT = "autopay_review"
REVIEW_ACTION = "action_review_autopay"
CONFIRM_SLOT = "autopay_confirm"
ACTION_SLOT = "autopay_action"
CHANGE_SLOT = "autopay_change"
# The form's answers each term needs asked again when the member changes it.
TERMS = {"method": ("autopay_method",),
         "amount": ("autopay_amount_rule", "autopay_fixed_amount"),
         "frequency": ("autopay_frequency",),
         "days": ("autopay_days_before",)}
STOP_NEEDS = {"pause": "active", "resume": "paused"}  # cancel: from either
# Each stop's review (utter_autopay_review_<stop>, its Confirm and Never mind buttons).
STOP_REVIEWS = ("pause", "resume", "cancel")


class ActionManageAutopay(Action):
    def name(self) -> str:
        return "action_manage_autopay"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        guard = money_guard(tracker, resume=self.name())
        if guard is not None:
            return not_started(*guard)
        svc = runtime.services()
        member = acting_member(tracker)
        said = tracker.latest_message.get("text") or ""
        chosen = tracker.get_slot(ACTION_SLOT) or _action_in_words(said)
        if chosen is None and tracker.get_intent_of_latest_message() == "cancel_autopay":
            # "stop autopay for a month" is a pause: a stop with an end is no cancellation.
            chosen = "pause" if _pause_end(tracker, said, svc.today()) else "cancel"
        term = tracker.get_slot(CHANGE_SLOT) or (
            None if chosen in STOP_REVIEWS else _term_in_words(said, tracker))
        given = _new_value(tracker, said, term)
        used = [SlotSet(ACTION_SLOT, None), SlotSet(CHANGE_SLOT, None)]
        mandate = autopay.get_mandate(svc, member)
        if mandate is None:
            if chosen or term:
                dispatcher.utter_message(response="utter_autopay_none")
                return not_started(*used)
            dispatcher.utter_message(response="utter_autopay_intro")
            return used + start_form(tracker, FORM, ANSWERS, fresh_intent="setup_autopay")
        if term in TERMS:
            return used + _change_form(mandate, term, given)
        if chosen == "change":
            dispatcher.utter_message(response="utter_autopay_what_to_change")
        elif chosen in STOP_REVIEWS:
            until = _pause_end(tracker, said, svc.today()) if chosen == "pause" else None
            return not_started(*used, *_review_stop(dispatcher, tracker, domain, svc, mandate,
                                                    chosen, until))
        else:
            dispatcher.utter_message(text=mandate_text(domain, tracker, svc, mandate),
                                     buttons=manage_buttons(domain, tracker, mandate))
        return not_started(*used)


def _change_form(mandate: AutopayMandate, term: str, given: dict[str, object]
                 ) -> list[EventType]:
    """The form with the terms kept filled in, so it asks only for the one being changed;
    a new value said with the change ("change my autopay amount to $50") is not asked again."""
    current = {"autopay_method": str(mandate.method_id),
               "autopay_amount_rule": mandate.amount_rule,
               "autopay_fixed_amount": mandate.fixed_amount_cents,
               "autopay_frequency": mandate.frequency,
               "autopay_days_before": mandate.days_before_due}
    asked = TERMS[term]
    # With the new value given there is nothing to ask: straight to its review.
    complete = all(slot in given for slot in asked if slot != "autopay_fixed_amount")
    return drop_review() + [SlotSet(slot, given.get(slot) if slot in asked else value)
                            for slot, value in current.items()] + \
        [SlotSet(FLOW_READY, True),
         FollowupAction(REVIEW_ACTION if complete and given else FORM)]


def _action_in_words(said: str) -> str | None:
    """What a typed message asks of an autopay in force, when no button said it
    (data/languages/<code>/autopay_words.yml)."""
    return next((name for name, words in autopay_words().actions.items()
                 if words.search(said)), None)


def _term_in_words(said: str, tracker: Tracker) -> str | None:
    """The term a typed change names: with a word of change ("lower my autopay amount"), or
    with its new value alone ("autopay 2 days before")."""
    words = autopay_words()
    term = next((name for name, pattern in words.terms.items() if pattern.search(said)), None)
    if term is None or words.change.search(said) or _new_value(tracker, said, term):
        return term
    return None


def _new_value(tracker: Tracker, said: str, term: str | None) -> dict[str, object]:
    """The changed term's new value when the message gives it: an amount, or days before."""
    if term == "amount":
        cents = entity_value(tracker, "amount")
        if isinstance(cents, int) and not isinstance(cents, bool) and (
                0 < cents <= runtime.services().config.max_payment_cents):
            return {"autopay_amount_rule": FIXED, "autopay_fixed_amount": cents}
    if term == "days":
        digits = _in_digits(said, tracker)
        found = next((match for pattern in autopay_words().days_before
                      if (match := pattern.search(digits))), None)
        if found and int(found.group(1)) <= MAX_DAYS_BEFORE_DUE:
            return {"autopay_days_before": int(found.group(1))}
    return {}


def _in_digits(said: str, tracker: Tracker, threshold: int = 3) -> str:
    """Numbers written in words as digits, read in the member's language ("dos" -> "2")."""
    numbers = autopay_words().numbers
    return alpha2digit(said, numbers.get(language_of(tracker), numbers.get("en", "en")),
                       threshold=threshold)


def _review_stop(dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
                 svc: Services, mandate: AutopayMandate, chosen: str,
                 until: dt.date | None) -> list[EventType]:
    if STOP_NEEDS.get(chosen, mandate.status) != mandate.status:
        dispatcher.utter_message(
            text=text(domain, tracker, "utter_autopay_already",
                      status=_status_word(domain, tracker, mandate)),
            buttons=manage_buttons(domain, tracker, mandate))
        return []
    reviewed, review = chosen, f"utter_autopay_review_{chosen}"
    values: dict[str, str] = {}
    if until is not None:
        # The review names its end date, so the Confirm tap pauses exactly what was shown.
        reviewed, review = f"{PAUSE_UNTIL}{until.isoformat()}", "utter_autopay_review_pause_until"
        values = {"date": short_day(until, tracker)}
    question = text(domain, tracker, review, **values)
    if chosen == "resume":
        question += _expiry_warning(domain, tracker, svc, mandate.method, mandate.frequency,
                                    mandate.days_before_due)
    confirm = text(domain, tracker, f"utter_care_button_{chosen}_autopay")
    dispatcher.utter_message(text=question, buttons=[
        button(confirm, "affirm", **{CONFIRM_SLOT: reviewed}),
        titled(domain, tracker, "never_mind", "deny")])
    return drop_review() + [SlotSet(REVIEW_SLOT, reviewed), SlotSet(PENDING_REVIEW, "autopay")]


PAUSE_UNTIL = "pause until "  # the review of a pause with an end date: + its ISO date


def _pause_end(tracker: Tracker, said: str, today: dt.date) -> dt.date | None:
    """When a pause said with its length ends: "for a month", "for 2 weeks", "until
    January 5", "por dos semanas"; None for a pause with no end."""
    digits = _in_digits(said, tracker, threshold=0)
    date = entity_value(tracker, "date")
    for words in autopay_words().pauses:
        found = words.length.search(digits)
        if found:
            count = 1 if found.group(1) is None or found.group(1).lower() in words.one \
                else int(found.group(1))
            unit = words.units.get(found.group(2).lower(), "day")
            if unit == "month":
                return _months_later(today, count)
            return today + dt.timedelta(days=count * (7 if unit == "week" else 1))
        if words.until.search(said) and isinstance(date, str):
            until = dt.date.fromisoformat(date)
            return until if until > today else None
        month = words.until_month.search(said)
        if month and month.group(1).lower() in words.months:
            # "until January": the pause ends as that month begins
            number = words.months[month.group(1).lower()]
            return dt.date(today.year + (number <= today.month), number, 1)
    return None


def _months_later(today: dt.date, months: int) -> dt.date:
    """The same day `months` later, or that month's last day when it is shorter."""
    index = today.month - 1 + months
    year, month = today.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(today.day, calendar.monthrange(year, month)[1]))


class ActionReviewAutopay(Action):
    """The terms the form collected, the first charge, and Activate (or Confirm, for a
    change)."""

    def name(self) -> str:
        return REVIEW_ACTION

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        member = acting_member(tracker)
        if member is None:
            return [SlotSet(slot, None) for slot in ANSWERS] + offer_log_in(dispatcher, tracker,
                                                                            None)
        svc = runtime.services()
        method = _method(svc, member, tracker.get_slot("autopay_method"))
        if method is None:
            dispatcher.utter_message(response="utter_autopay_method_gone")
            return [SlotSet("autopay_method", None), FollowupAction(FORM)]
        change = autopay.get_mandate(svc, member) is not None
        frequency = tracker.get_slot("autopay_frequency")
        days = tracker.get_slot("autopay_days_before")
        first = autopay.next_charge_date(svc, _planned(method, frequency, days))
        mode = "change" if change else "enroll"
        lines = [text(domain, tracker, f"utter_autopay_review_{mode}"),
                 *terms_lines(domain, tracker, method_name(domain, tracker, method),
                              tracker.get_slot("autopay_amount_rule"),
                              tracker.get_slot("autopay_fixed_amount"), frequency, days),
                 text(domain, tracker, "utter_autopay_next_charge_line" if change
                      else "utter_autopay_first_charge_line", date=short_day(first, tracker))]
        message = "\n".join(lines) + _expiry_warning(domain, tracker, svc, method, frequency,
                                                     days)
        dispatcher.utter_message(text=message,
                                 buttons=buttons(domain, tracker, f"utter_autopay_review_{mode}"))
        return drop_review() + [SlotSet(REVIEW_SLOT, mode), SlotSet(PENDING_REVIEW, "autopay")]


class ActionConfirmAutopay(Action):
    def name(self) -> str:
        return "action_confirm_autopay"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        guard = money_guard(tracker, resume=self.name())
        if guard is not None:
            return guard
        reviewed = open_review_tapped(tracker, REVIEW_SLOT, CONFIRM_SLOT)
        used: list[EventType] = [SlotSet(CONFIRM_SLOT, None)]
        manage = titled(domain, tracker, "manage_autopay", "setup_autopay")
        if reviewed is None:
            dispatcher.utter_message(response="utter_autopay_review_closed")
            return used
        svc = runtime.services()
        member = acting_member(tracker)
        try:
            mandate = _apply(svc, member, tracker, reviewed)
        except DomainError as refusal:
            dispatcher.utter_message(text=refusal_text(refusal, tracker), buttons=[manage])
            return used + drop_review() + [SlotSet(slot, None) for slot in ANSWERS]
        dispatcher.utter_message(text=_done_text(domain, tracker, svc, mandate, reviewed),
                                 buttons=[titled(domain, tracker, "what_do_i_owe",
                                                 "check_balance"), manage])
        return used + drop_review() + [SlotSet(slot, None) for slot in ANSWERS]


def _apply(svc: Services, member: int, tracker: Tracker, reviewed: str) -> AutopayMandate:
    if reviewed in ("enroll", "change"):
        terms = {
            "method_id": int(tracker.get_slot("autopay_method")),
            "amount_rule": tracker.get_slot("autopay_amount_rule"),
            "fixed_amount_cents": tracker.get_slot("autopay_fixed_amount"),
            "frequency": tracker.get_slot("autopay_frequency"),
            "days_before_due": tracker.get_slot("autopay_days_before"),
        }
        if reviewed == "enroll":
            return autopay.enroll(svc, member, **terms)
        return autopay.change(svc, member, **terms)
    if reviewed.startswith(PAUSE_UNTIL):
        return autopay.pause(svc, member,
                             until=dt.date.fromisoformat(reviewed.removeprefix(PAUSE_UNTIL)))
    return {"pause": autopay.pause, "resume": autopay.resume,
            "cancel": autopay.cancel}[reviewed](svc, member)


def _done_text(domain: DomainDict, tracker: Tracker, svc: Services, mandate: AutopayMandate,
               reviewed: str) -> str:
    if reviewed == "pause":
        return text(domain, tracker, "utter_autopay_done_pause")
    if reviewed.startswith(PAUSE_UNTIL):
        return text(domain, tracker, "utter_autopay_done_pause_until",
                    date=short_day(mandate.resume_on, tracker))
    if reviewed == "cancel":
        return text(domain, tracker, "utter_autopay_done_cancel",
                    due_day=ordinal(domain, tracker, svc.policy.due_day))
    done = text(domain, tracker, f"utter_autopay_done_{reviewed}")
    next_charge = autopay.next_charge_date(svc, mandate)
    if next_charge:
        done += " " + text(domain, tracker, "utter_autopay_done_next_charge",
                           date=short_day(next_charge, tracker))
    return done


def mandate_text(domain: DomainDict, tracker: Tracker, svc: Services,
                 mandate: AutopayMandate) -> str:
    lines = [text(domain, tracker, _status_response(mandate),
                  status=_status_word(domain, tracker, mandate)),
             *terms_lines(domain, tracker, method_name(domain, tracker, mandate.method),
                          mandate.amount_rule, mandate.fixed_amount_cents, mandate.frequency,
                          mandate.days_before_due)]
    next_charge = autopay.next_charge_date(svc, mandate)
    if next_charge:
        lines.append(text(domain, tracker, "utter_autopay_next_charge_line",
                          date=short_day(next_charge, tracker)))
    message = "\n".join(lines)
    if mandate.status == "active":
        message += _expiry_warning(domain, tracker, svc, mandate.method, mandate.frequency,
                                   mandate.days_before_due)
    return message


def manage_buttons(domain: DomainDict, tracker: Tracker,
                   mandate: AutopayMandate) -> list[dict[str, str]]:
    """Change, Pause (or Resume) and Cancel autopay: the buttons of the status response."""
    return buttons(domain, tracker, _status_response(mandate))


def _status_response(mandate: AutopayMandate) -> str:
    return "utter_autopay_status_active" if mandate.status == "active" \
        else "utter_autopay_status_paused"


def terms_lines(domain: DomainDict, tracker: Tracker, method_label: str, amount_rule: str,
                fixed_amount_cents: int | None, frequency: str,
                days_before_due: int) -> list[str]:
    pays = text(domain, tracker, "utter_autopay_term_pays_full") if amount_rule == FULL_BALANCE \
        else text(domain, tracker, "utter_autopay_term_pays_fixed",
                  amount=money(fixed_amount_cents, tracker))
    how_often = text(domain, tracker, "utter_autopay_term_monthly" if frequency == "monthly"
                     else "utter_autopay_term_quarterly")
    if days_before_due in (0, 1):
        when = text(domain, tracker, ("utter_autopay_term_on_due_date",
                                      "utter_autopay_term_one_day_before")[days_before_due])
    else:
        when = text(domain, tracker, "utter_autopay_term_days_before", days=days_before_due)
    return [text(domain, tracker, "utter_autopay_term_from", method=method_label),
            pays, how_often, when]


def _status_word(domain: DomainDict, tracker: Tracker, mandate: AutopayMandate) -> str:
    if mandate.status == "paused" and mandate.resume_on is not None:
        return text(domain, tracker, "utter_autopay_word_paused_until",
                    date=short_day(mandate.resume_on, tracker))
    return text(domain, tracker, "utter_autopay_word_on" if mandate.status == "active"
                else "utter_autopay_word_paused")


def _method(svc: Services, member: int, value: object) -> PaymentMethod | None:
    return next((method for method in payment_methods.list_methods(svc, member)
                 if str(method.id) == str(value)), None)


def _planned(method: PaymentMethod, frequency: str, days_before_due: int) -> AutopayMandate:
    """Terms not saved yet, to ask the service when they would first charge."""
    return AutopayMandate(status="active", frequency=frequency, days_before_due=days_before_due,
                          method=method)


def _expiry_warning(domain: DomainDict, tracker: Tracker, svc: Services, method: PaymentMethod,
                    frequency: str, days_before_due: int) -> str:
    planned = _planned(method, frequency, days_before_due)
    if not autopay.card_expires_before_next_charge(svc, planned):
        return ""
    expiry = dt.date(method.exp_year, method.exp_month, 1)
    return "\n" + text(domain, tracker, "utter_autopay_card_expires",
                       method=method_name(domain, tracker, method),
                       month=month_and_year(expiry, tracker),
                       date=long_date(autopay.next_charge_date(svc, planned), tracker))
