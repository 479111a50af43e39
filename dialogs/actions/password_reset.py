"""A forgotten password, or "I can't log in" (`reset_password_form`): the username (and, if the
account is locked, until when), then date of birth, the SSN's last four digits and the answer to
the account's first security question, then a new password.

Nothing tells a stranger whether a username exists: an unknown one is asked a question all the
same (always the same one for that username), and any mismatch gets one generic reply from
services.accounts. A reset logs this chat in, so a stranger who keeps the username's log-in
paused cannot keep the member out once they have proved who they are.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogs.actions import runtime
from dialogs.actions.create_account import read_date_of_birth, read_new_password
from dialogs.actions.member_session import agree_language, member_time
from dialogs.actions.security_questions import answer_or_refuse, ask_for_answer
from dialogs.actions.texts import refusal_text
from services import accounts, sessions
from services.errors import DomainError

FORM_SLOTS = ("username", "date_of_birth", "ssn_last4", "security_answer", "new_password")
_LAST_FOUR = re.compile(r"^[0-9]{4}$")


class ValidateResetPasswordForm(FormValidationAction):
    def name(self) -> str:
        return "validate_reset_password_form"

    def validate_username(self, value: Any, dispatcher: CollectingDispatcher,
                          tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        username = str(value or "").strip()
        if not username:
            return {"username": None}
        svc = runtime.services()
        locked_until = accounts.lockout_status(svc, username)
        if locked_until is not None:
            dispatcher.utter_message(response="utter_locked_reset_now",
                                     until=member_time(svc, locked_until, tracker))
        return {"username": username}

    def validate_date_of_birth(self, value: Any, dispatcher: CollectingDispatcher,
                               tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return read_date_of_birth(value, dispatcher, tracker)

    def validate_ssn_last4(self, value: Any, dispatcher: CollectingDispatcher,
                           tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        digits = re.sub(r"[\s-]", "", str(value or ""))
        if not _LAST_FOUR.match(digits):
            dispatcher.utter_message(response="utter_ssn_last4_not_understood")
            return {"ssn_last4": None}
        return {"ssn_last4": digits}

    def validate_security_answer(self, value: Any, dispatcher: CollectingDispatcher,
                                 tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return {"security_answer": answer_or_refuse(value, dispatcher)}

    def validate_new_password(self, value: Any, dispatcher: CollectingDispatcher,
                              tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        username = str(tracker.get_slot("username") or "").lower()
        return read_new_password(value, username, dispatcher, tracker)


class ActionAskSecurityAnswer(Action):
    """The account's own first question; for an unknown username, one that stays the same."""

    def name(self) -> str:
        return "action_ask_security_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        ask_for_answer(dispatcher, tracker, domain, _question(tracker)[1])
        return []


class ActionSubmitPasswordReset(Action):
    def name(self) -> str:
        return "action_submit_password_reset"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        slot = tracker.get_slot
        svc = runtime.services()
        question_index, _ = _question(tracker)
        channel, chat_id = runtime.chat_of(tracker)
        try:
            account_id = accounts.reset_password(
                svc, username=slot("username"),
                date_of_birth=dt.date.fromisoformat(slot("date_of_birth")),
                ssn_last4=slot("ssn_last4"), question_index=question_index,
                security_answer=slot("security_answer"), new_password=slot("new_password"),
                source=accounts.chat_source(channel, chat_id))
        except DomainError as error:
            dispatcher.utter_message(response="utter_password_not_reset",
                                     reason=refusal_text(error, tracker))
            return [SlotSet(name, None) for name in FORM_SLOTS]
        sessions.link_chat(svc, channel=channel, chat_id=chat_id, account_id=account_id)
        dispatcher.utter_message(response="utter_password_reset")
        dispatcher.utter_message(response="utter_help_menu")
        # Logged in: the chat's language and the account's agree from now on.
        return [SlotSet(name, None) for name in FORM_SLOTS] + agree_language(tracker, account_id)


def _question(tracker: Tracker) -> tuple[int, str]:
    return accounts.security_question_for(runtime.services(), tracker.get_slot("username") or "")
