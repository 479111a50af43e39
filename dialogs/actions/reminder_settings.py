"""Reminder settings: whether to be reminded before a premium is due, how many days before, and
the quiet hours when no reminder may arrive (the form `reminder_settings_form`)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogs.actions.reminder_input import (
    ReminderInputError,
    check_quiet_hours,
    check_reminder_days,
    describe_hour,
    describe_reminder_days,
    parse_quiet_hours,
    parse_reminder_days,
)

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
            dispatcher.utter_message(response=f"utter_reminder_days_{error.reason}")
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


class ActionSubmitReminderSettings(Action):
    """Says back what the member chose, then clears the form for next time."""

    def name(self) -> str:
        return "action_submit_reminder_settings"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        if tracker.get_slot("reminders_enabled"):
            start, end = tracker.get_slot("quiet_hours")
            dispatcher.utter_message(
                response="utter_reminder_settings_summary",
                reminder_days_text=describe_reminder_days(tracker.get_slot("reminder_days")),
                quiet_hours_text=f"{describe_hour(start)} and {describe_hour(end)}",
            )
        else:
            dispatcher.utter_message(response="utter_reminders_off_summary")
        return [SlotSet(slot, None) for slot in FORM_SLOTS]


def _are_numbers(value: Any) -> bool:
    """Already read: a list of whole numbers (a form validating what it was given before)."""
    return isinstance(value, list) and bool(value) and all(
        isinstance(item, int) and not isinstance(item, bool) for item in value)


def _as_text(value: Any) -> str:
    # A free-text answer arrives as text, or as a one-item list on a list slot (Rasa wraps it).
    if isinstance(value, list):
        return " ".join(str(item) for item in value)
    return str(value)
