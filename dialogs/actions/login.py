"""Logging in (`login_form`: username, then password) and logging out.

Whatever was wrong, a failed log-in gets the same reply and the password is asked again (the
username is kept). Failures are counted in the database per username and per chat
(services.accounts, services.attempt_limits): before the last free try the member is warned
(services.lockout); after too many, the username or the chat waits, longer each time, and the
member is told until when.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogs.actions import runtime
from dialogs.actions.member_session import (
    OUTCOME_SLOT,
    RESUME_SLOT,
    acting_member,
    after_log_in,
    member_time,
    resume_target,
)
from dialogs.actions.per_call import read_once
from dialogs.actions.texts import refusal_text
from services import accounts, lockout, sessions
from services.errors import AccountLocked, AttemptsPaused, LoginFailed

FORM_SLOTS = ("username", "password")


class ValidateLoginForm(FormValidationAction):
    def name(self) -> str:
        return "validate_login_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        # Logged in already, or the attempt ended (logged in, locked, too many tries). A log-in
        # during this call sets the outcome, so the session need be read once a call.
        if tracker.get_slot(OUTCOME_SLOT) or read_once(
                tracker, "member", lambda: acting_member(tracker)) is not None:
            return []
        return domain_slots

    def validate_username(self, value: Any, dispatcher: CollectingDispatcher,
                          tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        username = str(value or "").strip()
        return {"username": username or None}

    def validate_password(self, value: Any, dispatcher: CollectingDispatcher,
                          tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        svc = runtime.services()
        channel, chat_id = runtime.chat_of(tracker)
        try:
            account = accounts.log_in(svc, tracker.get_slot("username") or "", str(value),
                                      source=accounts.chat_source(channel, chat_id))
        except AttemptsPaused as paused:
            dispatcher.utter_message(response="utter_login_throttled",
                                     until=member_time(svc, paused.locked_until, tracker))
            return {"password": None, OUTCOME_SLOT: "stopped"}
        except AccountLocked as locked:
            dispatcher.utter_message(response="utter_account_locked",
                                     until=member_time(svc, locked.locked_until, tracker))
            return {"password": None, OUTCOME_SLOT: "stopped"}
        except LoginFailed as failed:
            # The same reply whichever of the two was wrong; the password is asked again and
            # the username kept, so the next password is not typed where it would stay visible.
            report_failed_try(dispatcher, refusal_text(failed, tracker),
                              lockout.warning_before_next_try(
                                  svc, tracker.get_slot("username") or "",
                                  source=accounts.chat_source(channel, chat_id)))
            return {"password": None}
        sessions.link_chat(svc, channel=channel, chat_id=chat_id, account_id=account.id)
        return {"password": None, OUTCOME_SLOT: "logged_in"}


class ActionAskLoginFormUsername(Action):
    """Asks for the username, saying why first when the member was on their way elsewhere."""

    def name(self) -> str:
        return "action_ask_login_form_username"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        # Right after the form started (not when asked again), say why a log-in is needed.
        if resume_target(tracker) and _started_this_turn(tracker):
            dispatcher.utter_message(response="utter_log_in_to_continue")
        dispatcher.utter_message(response="utter_ask_username")
        return []


class ActionSubmitLogin(Action):
    def name(self) -> str:
        return "action_submit_login"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        outcome = tracker.get_slot(OUTCOME_SLOT)
        cleared = [SlotSet(slot, None) for slot in (*FORM_SLOTS, OUTCOME_SLOT)]
        if outcome == "logged_in":
            return cleared + after_log_in(dispatcher, tracker, domain, "utter_welcome_back")
        if outcome == "stopped":
            return cleared + [SlotSet(RESUME_SLOT, None)]
        account_id = acting_member(tracker)
        if account_id is None:  # the form was left some other way: nothing happened
            return cleared
        account = accounts.get_account(runtime.services(), account_id)
        dispatcher.utter_message(response="utter_already_logged_in", username=account.username)
        dispatcher.utter_message(response="utter_help_menu")
        return cleared + [SlotSet(RESUME_SLOT, None)]


class ActionLogOut(Action):
    def name(self) -> str:
        return "action_log_out"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        channel, chat_id = runtime.chat_of(tracker)
        if sessions.unlink_chat(runtime.services(), channel=channel, chat_id=chat_id):
            dispatcher.utter_message(response="utter_logged_out")
        else:
            dispatcher.utter_message(response="utter_not_logged_in")
        dispatcher.utter_message(response="utter_help_menu")
        return [SlotSet(RESUME_SLOT, None)]


def _started_this_turn(tracker: Tracker) -> bool:
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "active_loop" and event.get("name") == "login_form":
            return True
    return False


def report_failed_try(dispatcher: CollectingDispatcher, reason: str,
                      warning: lockout.LockoutWarning | None) -> None:
    """Say a password was refused, and warn when one more failure pauses logging in."""
    dispatcher.utter_message(response="utter_login_failed", reason=reason)
    if warning is not None:
        dispatcher.utter_message(response="utter_last_login_try", minutes=warning.minutes)
