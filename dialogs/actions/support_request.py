"""Talk to a person: opens a support request with who the member is, their latest payment
references and the recent conversation, then tells them its number and when to expect an answer
(the exchange's own setting in data/policy.yml), with the phone number for anything urgent.

The conversation is read back from the tracker store, where secrets (passwords, SSNs, dates of
birth, security answers, card numbers) were never kept in clear: the transcript has only the
"[redacted]" markers.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogs.actions import runtime
from dialogs.actions.member_session import acting_member
from dialogs.engine.nlu.redaction import redact_secrets
from dialogs.engine.tracker_store import TrackerStore
from services.errors import SupportLimitReached
from services.support import TRANSCRIPT_LINES, open_support_request

_SPEAKERS = {"user": "member", "bot": "bot"}


class ActionOpenSupportRequest(Action):
    def name(self) -> str:
        return "action_open_support_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        svc = runtime.services()
        channel, chat_id = runtime.chat_of(tracker)
        try:
            request = open_support_request(
                svc, account_id=acting_member(tracker), channel=channel, chat_id=chat_id,
                topic="talk_to_human", transcript=stored_transcript(channel, chat_id))
        except SupportLimitReached as limit:
            dispatcher.utter_message(text=limit.message)
            return []
        dispatcher.utter_message(
            response="utter_support_request_opened", number=request.number,
            answer_within=svc.policy.support_answer_within, exchange=svc.policy.name,
            phone=svc.policy.phone, tty=svc.policy.tty)
        return []


def stored_transcript(channel: str, chat_id: str) -> list[str]:
    """The latest lines of the conversation as the tracker store keeps it (redacted). Each line
    goes through the chat's card and SSN detector again: what an older release stored before it
    knew a format stays out of the staff's view."""
    events = TrackerStore(runtime.services().uow_factory).session_events(channel, chat_id)
    lines = [f"{_SPEAKERS[event['event']]}: {redact_secrets(event['text'])}" for event in events
             if event.get("event") in _SPEAKERS and event.get("text")]
    return lines[-TRANSCRIPT_LINES:]
