"""Entering the password again (`reauth_form`) when a money action finds the session idle for
too long; the lock-out rules of logging in apply. Afterwards the member goes on where they were
(`resume_after_login`, set by member_session.money_guard)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogs.actions import runtime
from dialogs.actions.login import CHAT_ATTEMPTS, CHAT_WINDOW, refused_attempts, report_failed_try
from dialogs.actions.member_session import (
    OUTCOME_SLOT,
    RESUME_SLOT,
    member_time,
    resume_events,
    resume_target,
    start_login,
)
from services import sessions
from services.errors import AccountLocked, LoginFailed, NotLoggedIn


class ValidateReauthForm(FormValidationAction):
    def name(self) -> str:
        return "validate_reauth_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        return [] if tracker.get_slot(OUTCOME_SLOT) else domain_slots

    def validate_password(self, value: Any, dispatcher: CollectingDispatcher,
                          tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        svc = runtime.services()
        if refused_attempts(tracker, svc.now()) >= CHAT_ATTEMPTS:
            dispatcher.utter_message(response="utter_login_throttled",
                                     minutes=int(CHAT_WINDOW.total_seconds() // 60))
            return {"password": None, OUTCOME_SLOT: "stopped"}
        channel, chat_id = runtime.chat_of(tracker)
        try:
            sessions.reauthenticate(svc, channel=channel, chat_id=chat_id, password=str(value))
        except NotLoggedIn:
            return {"password": None, OUTCOME_SLOT: "logged_out"}
        except AccountLocked as locked:
            dispatcher.utter_message(response="utter_account_locked",
                                     until=member_time(svc, locked.locked_until))
            return {"password": None, OUTCOME_SLOT: "stopped"}
        except LoginFailed as failed:
            report_failed_try(dispatcher, tracker, failed.message)
            return {"password": None}
        return {"password": None, OUTCOME_SLOT: "confirmed"}


class ActionSubmitReauth(Action):
    def name(self) -> str:
        return "action_submit_reauth"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        outcome = tracker.get_slot(OUTCOME_SLOT)
        cleared = [SlotSet("password", None), SlotSet(OUTCOME_SLOT, None)]
        if outcome == "confirmed":
            dispatcher.utter_message(response="utter_password_confirmed")
            return cleared + resume_events(tracker)
        if outcome == "logged_out":  # logged out elsewhere meanwhile: a full log-in, then on
            return cleared + start_login(resume_target(tracker))
        return cleared + [SlotSet(RESUME_SLOT, None)]
