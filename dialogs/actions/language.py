"""A language chosen in chat ("español", /idioma and a tap): said back in that language, and
kept on the account when the chat is logged in, for what is pushed later."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogs.actions import runtime
from dialogs.actions.member_session import acting_member
from services.member_language import save_language


class ActionChooseLanguage(Action):
    def name(self) -> str:
        return "action_choose_language"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        # The engine has already set the language slot (dialogs/engine/language_turns.py).
        code = tracker.get_slot("language")
        account_id = acting_member(tracker)
        if account_id is not None and code:
            save_language(runtime.services(), account_id, code)
        dispatcher.utter_message(response="utter_language_chosen")
        return []
