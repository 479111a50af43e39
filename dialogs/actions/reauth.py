"""Entering the password again (`reauth_form`) when a money action finds the session idle for
too long. Failures count like log-in failures, but only this chat's own delay stops it: a
stranger guessing at the username cannot lock a member out of their own chat. Afterwards the
member goes on where they were (`resume_after_login`, set by member_session.money_guard)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogs.actions import runtime
from dialogs.actions.login import report_failed_try
from dialogs.actions.member_session import (
    OUTCOME_SLOT,
    RESUME_SLOT,
    acting_member,
    member_time,
    resume_events,
    resume_target,
    start_login,
)
from dialogs.actions.texts import refusal_text
from services import accounts, lockout, sessions
from services.errors import AttemptsPaused, LoginFailed, NotLoggedIn


class ValidateReauthForm(FormValidationAction):
    def name(self) -> str:
        return "validate_reauth_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        return [] if tracker.get_slot(OUTCOME_SLOT) else domain_slots

    def validate_password(self, value: Any, dispatcher: CollectingDispatcher,
                          tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        svc = runtime.services()
        channel, chat_id = runtime.chat_of(tracker)
        try:
            sessions.reauthenticate(svc, channel=channel, chat_id=chat_id, password=str(value))
        except NotLoggedIn:
            return {"password": None, OUTCOME_SLOT: "logged_out"}
        except AttemptsPaused as paused:
            dispatcher.utter_message(response="utter_login_throttled",
                                     until=member_time(svc, paused.locked_until, tracker))
            return {"password": None, OUTCOME_SLOT: "stopped"}
        except LoginFailed as failed:
            report_failed_try(dispatcher, refusal_text(failed, tracker),
                              _warning(svc, tracker, channel, chat_id))
            return {"password": None}
        return {"password": None, OUTCOME_SLOT: "confirmed"}


def _warning(svc, tracker: Tracker, channel: str,
             chat_id: str) -> lockout.LockoutWarning | None:
    """Only this chat's own count holds a password re-entry, so only it is warned about."""
    account_id = acting_member(tracker)
    if account_id is None:
        return None
    return lockout.warning_before_next_try(
        svc, accounts.get_account(svc, account_id).username,
        source=accounts.chat_source(channel, chat_id), own_chat=True)


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
