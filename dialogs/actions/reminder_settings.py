"""Reminder settings: whether to be reminded before a premium is due, how many days before, and
the quiet hours when no reminder may arrive (the form `reminder_settings_form`), saved on the
member's account for the scheduler. A member who is not logged in is asked to log in first; the
choices wait in their slots, and saving goes on afterwards."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogs.actions import runtime
from dialogs.actions.member_session import acting_member, start_login
from dialogs.actions.reminder_input import (
    ReminderInputError,
    check_quiet_hours,
    check_reminder_days,
    parse_quiet_hours,
    parse_reminder_days,
)
from dialogs.actions.texts import refusal_text, text
from services import accounts
from services.errors import DomainError

FORM_SLOTS = ("reminders_enabled", "reminder_days", "quiet_hours")


class ValidateReminderSettingsForm(FormValidationAction):
    def name(self) -> str:
        return "validate_reminder_settings_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        # No reminders: nothing more to ask.
        if tracker.slots.get("reminders_enabled") is False:
            return ["reminders_enabled"]
        return domain_slots

    def validate_reminders_enabled(self, value: Any, dispatcher: CollectingDispatcher,
                                   tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return {"reminders_enabled": value if isinstance(value, bool) else None}

    def validate_reminder_days(self, value: Any, dispatcher: CollectingDispatcher,
                               tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        try:
            if _are_numbers(value):
                days = check_reminder_days(value)
            else:
                days = parse_reminder_days(_as_text(value))
        except ReminderInputError as error:
            # Every day given is kept or the member hears which was not: nothing is dropped.
            named = {"rejected_days": _rejected_days(domain, tracker, error.rejected)} \
                if error.rejected else {}
            dispatcher.utter_message(response=f"utter_reminder_days_{error.reason}", **named)
            return {"reminder_days": None}
        return {"reminder_days": days}

    def validate_quiet_hours(self, value: Any, dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        try:
            if _are_numbers(value) and len(value) == 2:
                start, end = check_quiet_hours(*value)
            else:
                start, end = parse_quiet_hours(_as_text(value))
        except ReminderInputError as error:
            dispatcher.utter_message(response=f"utter_quiet_hours_{error.reason}")
            return {"quiet_hours": None}
        return {"quiet_hours": [start, end]}


class ActionShowReminderSettings(Action):
    """Before the questions: the member's reminder settings as they are now. Answers left from
    an earlier, unfinished round are forgotten; one given in this very message is kept."""

    def name(self) -> str:
        return "action_show_reminder_settings"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        account_id = acting_member(tracker)
        if account_id is not None:
            account = accounts.get_account(runtime.services(), account_id)
            if account.reminders_enabled:
                dispatcher.utter_message(
                    response="utter_current_reminder_settings",
                    reminder_days_text=_reminder_days(domain, tracker, account.reminder_offsets),
                    quiet_hours_text=_quiet_hours_text(domain, tracker, account.quiet_hours_start,
                                                       account.quiet_hours_end))
            else:
                dispatcher.utter_message(response="utter_current_reminders_off")
        # The slot events right after the member's message: what it just gave.
        just_given = set(tracker.slots_to_validate())
        return [SlotSet(slot, None) for slot in FORM_SLOTS if slot not in just_given]


class ActionSubmitReminderSettings(Action):
    """Saves what the member chose and says it back, then clears the form for next time."""

    def name(self) -> str:
        return "action_submit_reminder_settings"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        account_id = acting_member(tracker)
        if account_id is None:
            dispatcher.utter_message(response="utter_log_in_to_save_reminders")
            return start_login(resume=self.name())
        enabled = bool(tracker.get_slot("reminders_enabled"))
        try:
            if enabled:
                start, end = tracker.get_slot("quiet_hours")
                accounts.update_reminder_settings(
                    runtime.services(), account_id, enabled=True,
                    offsets=tracker.get_slot("reminder_days"), quiet_hours=(start, end))
            else:
                accounts.update_reminder_settings(runtime.services(), account_id, enabled=False)
        except DomainError as error:
            dispatcher.utter_message(response="utter_input_refused",
                                     reason=refusal_text(error, tracker))
            return [SlotSet(slot, None) for slot in FORM_SLOTS]
        if enabled:
            dispatcher.utter_message(
                response="utter_reminder_settings_summary",
                reminder_days_text=_reminder_days(domain, tracker,
                                                  tracker.get_slot("reminder_days")),
                quiet_hours_text=_quiet_hours_text(domain, tracker, start, end),
            )
        else:
            dispatcher.utter_message(response="utter_reminders_off_summary")
        return [SlotSet(slot, None) for slot in FORM_SLOTS]


def _reminder_days(domain: DomainDict, tracker: Tracker, days: list[int]) -> str:
    """[7, 3, 1] -> "7, 3 and 1 days before each due date"; 0 is the due date itself."""
    before = [day for day in days if day > 0]
    parts = []
    if before:
        parts.append(text(domain, tracker, "utter_reminders_day_before" if before == [1]
                          else "utter_reminders_days_before",
                          days=_join(domain, tracker, [str(day) for day in before])))
    if 0 in days:
        parts.append(text(domain, tracker, "utter_reminders_on_due_date"))
    return _join(domain, tracker, parts)


def _rejected_days(domain: DomainDict, tracker: Tracker, days: tuple[int, ...]) -> str:
    """(45,) -> "45 days"; (31, 60) -> "31 and 60 days": the days that were not kept."""
    return text(domain, tracker, "utter_reminders_one_day" if days == (1,)
                else "utter_reminders_days", days=_join(domain, tracker,
                                                        [str(day) for day in days]))


def _quiet_hours_text(domain: DomainDict, tracker: Tracker, start: int, end: int) -> str:
    return text(domain, tracker, "utter_reminders_between", start=_hour(domain, tracker, start),
                end=_hour(domain, tracker, end))


def _hour(domain: DomainDict, tracker: Tracker, hour: int) -> str:
    """"midnight", "noon", "9pm" / "medianoche", "mediodía", "9 p. m."."""
    if hour in (0, 12):
        return text(domain, tracker, "utter_reminders_midnight" if hour == 0
                    else "utter_reminders_noon")
    return text(domain, tracker, "utter_reminders_hour_am" if hour < 12
                else "utter_reminders_hour_pm", hour=hour % 12 or 12)


def _join(domain: DomainDict, tracker: Tracker, items: list[str]) -> str:
    """"7, 3 and 1" / "7, 3 y 1"."""
    if len(items) < 2:
        return "".join(items)
    return text(domain, tracker, "utter_reminders_list", first=", ".join(items[:-1]),
                last=items[-1])


def _are_numbers(value: Any) -> bool:
    """Already read: a list of whole numbers (a form validating what it was given before)."""
    return isinstance(value, list) and bool(value) and all(
        isinstance(item, int) and not isinstance(item, bool) for item in value)


def _as_text(value: Any) -> str:
    # A free-text answer arrives as text, or as a one-item list on a list slot (Rasa wraps it).
    if isinstance(value, list):
        return " ".join(str(item) for item in value)
    return str(value)
