"""Talk to a person: a support request with who the member is, their latest payment references
and the recent conversation; the member gets its number, when to expect an answer (the
exchange's own setting in data/policy.yml) and the phone number for anything urgent.

A member has one open request: asking again adds to it. A visitor who is not logged in is asked
first how staff can reach them (`support_contact_form`: a phone number or an e-mail address,
checked with phonenumbers and email-validator), and may decline; a form they were in goes on
afterwards.

The conversation is read back from the tracker store (runtime.transcript, dialogs/engine/
transcripts.py), where secrets (passwords, SSNs, dates of birth, security answers, card numbers)
were never kept in clear: the transcript has only the "[redacted]" markers.
"""

from __future__ import annotations

from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogs.actions import runtime
from dialogs.actions.care_texts import answer_within
from dialogs.actions.member_session import acting_member
from dialogs.actions.texts import refusal_text
from services.errors import SupportLimitReached
from services.support import find_open_request, open_support_request

CONTACT_FORM = "support_contact_form"
CONTACT_SLOT = "support_contact"
RESUME_SLOT = "support_resume"
DECLINED = "none"
TOPIC = "talk_to_human"
# Phone numbers typed without a country code are read as the exchange's own (US) numbers.
DEFAULT_REGION = "US"


class ActionOpenSupportRequest(Action):
    def name(self) -> str:
        return "action_open_support_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        svc = runtime.services()
        channel, chat_id = runtime.chat_of(tracker)
        member = acting_member(tracker)
        if member is None and find_open_request(svc, account_id=None, channel=channel,
                                                chat_id=chat_id) is None:
            # Asked how to be reached first; a form they were in goes on afterwards.
            interrupted = tracker.active_loop_name
            return [SlotSet(CONTACT_SLOT, None), SlotSet(RESUME_SLOT, interrupted),
                    FollowupAction(CONTACT_FORM)]
        hand_over(dispatcher, tracker, domain, member, contact=None)
        return []


class ValidateSupportContactForm(FormValidationAction):
    def name(self) -> str:
        return f"validate_{CONTACT_FORM}"

    def validate_support_contact(self, value: Any, dispatcher: CollectingDispatcher,
                                 tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if value == DECLINED or tracker.get_intent_of_latest_message() == "deny":
            return {CONTACT_SLOT: DECLINED}
        contact = reachable_at(str(value))
        if contact is None:
            dispatcher.utter_message(response="utter_support_contact_invalid")
        return {CONTACT_SLOT: contact}


class ActionSubmitSupportContact(Action):
    def name(self) -> str:
        return "action_submit_support_contact"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        contact = tracker.get_slot(CONTACT_SLOT)
        resume = tracker.get_slot(RESUME_SLOT)
        events: list[EventType] = [SlotSet(CONTACT_SLOT, None), SlotSet(RESUME_SLOT, None)]
        if contact == DECLINED:
            svc = runtime.services()
            dispatcher.utter_message(response="utter_support_contact_declined",
                                     exchange=svc.policy.name, phone=svc.policy.phone,
                                     tty=svc.policy.tty)
        elif contact:
            hand_over(dispatcher, tracker, domain, acting_member(tracker), contact=contact)
        return events + ([FollowupAction(resume)] if resume else [])


def hand_over(dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
              member: int | None, *, contact: str | None) -> None:
    """Open the member's request, or add to the one open, and tell them which it is."""
    svc = runtime.services()
    channel, chat_id = runtime.chat_of(tracker)
    try:
        handoff = open_support_request(
            svc, account_id=member, channel=channel, chat_id=chat_id, topic=TOPIC,
            transcript=runtime.transcript(channel, chat_id), contact=contact)
    except SupportLimitReached as limit:
        dispatcher.utter_message(text=refusal_text(limit, tracker))
        return
    response = "utter_support_request_added_to" if handoff.added_to \
        else "utter_support_request_opened"
    dispatcher.utter_message(
        response=response, number=handoff.number,
        answer_within=answer_within(domain, tracker, svc.policy.support_answer_within),
        exchange=svc.policy.name,
        phone=svc.policy.phone, tty=svc.policy.tty)


def reachable_at(text: str) -> str | None:
    """A valid phone number (E.164) or e-mail address (normalized) in `text`, else None."""
    text = text.strip()
    if "@" in text:
        try:
            return validate_email(text, check_deliverability=False).normalized
        except EmailNotValidError:
            return None
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
