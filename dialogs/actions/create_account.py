"""Opening an account (`create_account_form`): who the member is (matched to their enrollment
record as soon as name, date of birth and SSN are in), then a username, a password and two
security questions; at the end the chat is logged in and the member sees their dashboard.

The SSN, date of birth, password and answers are sensitive slots: their messages are deleted and
the tracker store keeps them only sealed (dialogs/engine/sealing.py). Only the SSN's last four
digits are ever shown. A mismatch never says which detail was wrong, nor whether the person
already has an account; mismatches are counted in the database per claimed person and per chat
(services.accounts.verify_identity), and once either has too many the form stops, so an SSN
cannot be guessed here by starting new conversations.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogs.actions import runtime
from dialogs.actions.member_session import OUTCOME_SLOT, after_log_in
from dialogs.actions.security_questions import (
    answer_or_refuse,
    ask_for_answer,
    ask_for_question,
    question_number,
    question_text,
)
from dialogs.actions.texts import language_of, refusal_text
from services import accounts, passwords, sessions
from services.errors import DomainError, IdentityAttemptsUsed, IdentityNotVerified, InvalidInput
from services.identity import normalize_name, normalize_ssn, parse_date_of_birth
from services.member_language import save_language

FORM_SLOTS = ("full_name", "date_of_birth", "ssn", "new_username", "new_password",
              "security_question_1", "security_answer_1", "security_question_2",
              "security_answer_2")
IDENTITY_SLOTS = ("full_name", "date_of_birth", "ssn")
MAX_NAME_LENGTH = 100


class ValidateCreateAccountForm(FormValidationAction):
    def name(self) -> str:
        return "validate_create_account_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        return [] if tracker.get_slot(OUTCOME_SLOT) else domain_slots

    def validate_full_name(self, value: Any, dispatcher: CollectingDispatcher,
                           tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        name = " ".join(str(value or "").split())
        if not normalize_name(name) or len(name) > MAX_NAME_LENGTH:
            dispatcher.utter_message(response="utter_full_name_not_understood")
            return {"full_name": None}
        return {"full_name": name}

    def validate_date_of_birth(self, value: Any, dispatcher: CollectingDispatcher,
                               tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return read_date_of_birth(value, dispatcher, tracker)

    def validate_ssn(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                     domain: DomainDict) -> dict[str, Any]:
        try:
            digits = normalize_ssn(str(value or ""))
        except InvalidInput as error:
            dispatcher.utter_message(response="utter_input_refused",
                                     reason=refusal_text(error, tracker))
            return {"ssn": None}
        return self._verify(digits, dispatcher, tracker)

    def validate_new_username(self, value: Any, dispatcher: CollectingDispatcher,
                              tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        try:
            username = accounts.check_username(runtime.services(), str(value or ""))
        except InvalidInput as error:
            dispatcher.utter_message(response="utter_input_refused",
                                     reason=refusal_text(error, tracker))
            return {"new_username": None}
        return {"new_username": username}

    def validate_new_password(self, value: Any, dispatcher: CollectingDispatcher,
                              tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return read_new_password(value, tracker.get_slot("new_username"), dispatcher,
                                 tracker)

    def validate_security_question_1(self, value: Any, dispatcher: CollectingDispatcher,
                                     tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        number = question_number(value)
        if number is None:
            dispatcher.utter_message(response="utter_security_question_not_understood")
        return {"security_question_1": number}

    def validate_security_question_2(self, value: Any, dispatcher: CollectingDispatcher,
                                     tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        number = question_number(value)
        if number is None:
            dispatcher.utter_message(response="utter_security_question_not_understood")
        elif number == tracker.get_slot("security_question_1"):
            dispatcher.utter_message(response="utter_security_question_taken")
            number = None
        return {"security_question_2": number}

    def validate_security_answer_1(self, value: Any, dispatcher: CollectingDispatcher,
                                   tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return {"security_answer_1": answer_or_refuse(value, dispatcher)}

    def validate_security_answer_2(self, value: Any, dispatcher: CollectingDispatcher,
                                   tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return {"security_answer_2": answer_or_refuse(value, dispatcher)}

    def _verify(self, ssn: str, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> dict[str, Any]:
        """Match name, date of birth and SSN to an enrollment without an account."""
        full_name, date_of_birth = tracker.get_slot("full_name"), tracker.get_slot("date_of_birth")
        if not (full_name and date_of_birth):
            return {"ssn": ssn}  # matched once the other two are in
        svc = runtime.services()
        channel, chat_id = runtime.chat_of(tracker)
        try:
            accounts.verify_identity(svc, full_name=full_name,
                                     date_of_birth=dt.date.fromisoformat(date_of_birth), ssn=ssn,
                                     source=accounts.chat_source(channel, chat_id))
        except IdentityAttemptsUsed:
            dispatcher.utter_message(response="utter_identity_attempts_used",
                                     phone=svc.policy.phone, tty=svc.policy.tty)
            return {slot: None for slot in IDENTITY_SLOTS} | {OUTCOME_SLOT: "stopped"}
        except IdentityNotVerified as error:
            dispatcher.utter_message(response="utter_identity_not_verified",
                                     reason=refusal_text(error, tracker))
            return {slot: None for slot in IDENTITY_SLOTS}
        dispatcher.utter_message(response="utter_identity_verified", last_four=ssn[-4:])
        return {"ssn": ssn}


class ActionAskSecurityQuestion1(Action):
    def name(self) -> str:
        return "action_ask_security_question_1"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        ask_for_question(dispatcher, tracker, domain, "utter_ask_security_question_1",
                         exclude=None)
        return []


class ActionAskSecurityQuestion2(Action):
    def name(self) -> str:
        return "action_ask_security_question_2"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        ask_for_question(dispatcher, tracker, domain, "utter_ask_security_question_2",
                         exclude=tracker.get_slot("security_question_1"))
        return []


class ActionAskSecurityAnswer1(Action):
    def name(self) -> str:
        return "action_ask_security_answer_1"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        ask_for_answer(dispatcher, tracker, domain,
                       question_text(tracker.get_slot("security_question_1")))
        return []


class ActionAskSecurityAnswer2(Action):
    def name(self) -> str:
        return "action_ask_security_answer_2"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        ask_for_answer(dispatcher, tracker, domain,
                       question_text(tracker.get_slot("security_question_2")))
        return []


class ActionSubmitCreateAccount(Action):
    def name(self) -> str:
        return "action_submit_create_account"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        cleared = [SlotSet(slot, None) for slot in (*FORM_SLOTS, OUTCOME_SLOT)]
        if tracker.get_slot(OUTCOME_SLOT):
            return cleared
        svc = runtime.services()
        slot = tracker.get_slot
        ssn = slot("ssn")
        try:
            account = accounts.create_account(
                svc, full_name=slot("full_name"),
                date_of_birth=dt.date.fromisoformat(slot("date_of_birth")), ssn=ssn,
                username=slot("new_username"), password=slot("new_password"),
                security_answers=[
                    (question_text(slot("security_question_1")), slot("security_answer_1")),
                    (question_text(slot("security_question_2")), slot("security_answer_2")),
                ])
        except DomainError as error:
            dispatcher.utter_message(response="utter_account_not_created",
                                     reason=refusal_text(error, tracker))
            return cleared
        channel, chat_id = runtime.chat_of(tracker)
        sessions.link_chat(svc, channel=channel, chat_id=chat_id, account_id=account.id)
        # A new account speaks the chat's language, in what is pushed to it later too.
        save_language(svc, account.id, language_of(tracker))
        return cleared + after_log_in(dispatcher, tracker, domain, "utter_account_created",
                                      username=account.username, last_four=ssn[-4:])


def read_date_of_birth(value: Any, dispatcher: CollectingDispatcher,
                       tracker: Tracker) -> dict[str, Any]:
    """The date of birth as an ISO date, or the reason it cannot be read."""
    try:
        born = parse_date_of_birth(str(value or ""), today=runtime.services().today())
    except InvalidInput as error:
        dispatcher.utter_message(response="utter_input_refused",
                                 reason=refusal_text(error, tracker))
        return {"date_of_birth": None}
    return {"date_of_birth": born.isoformat()}


def read_new_password(value: Any, username: str | None, dispatcher: CollectingDispatcher,
                      tracker: Tracker) -> dict[str, Any]:
    """The new password if the exchange's policy takes it, or the policy's reason."""
    password = str(value or "")
    try:
        passwords.check_password_policy(password, username=username)
    except InvalidInput as error:
        dispatcher.utter_message(response="utter_input_refused",
                                 reason=refusal_text(error, tracker))
        return {"new_password": None}
    return {"new_password": password}

