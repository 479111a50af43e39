"""Cancel: leave whatever form is going on, forgetting its half-given answers."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict

from dialogs.actions.member_session import OUTCOME_SLOT, RESUME_SLOT

SUPPORT_RESUME_SLOT = "support_resume"  # dialogs/actions/support_request.py


class ActionCancel(Action):
    def name(self) -> str:
        return "action_cancel"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        form = tracker.active_loop_name
        # Either way the member is shown what they can do next.
        if form is None:
            dispatcher.utter_message(response="utter_nothing_to_cancel")
            dispatcher.utter_message(response="utter_help_menu")
            return []
        dispatcher.utter_message(response="utter_cancelled")
        dispatcher.utter_message(response="utter_help_menu")
        answers = domain.get("forms", {}).get(form, {}).get("required_slots", [])
        # A cancelled log-in must not carry the member on to what it would have resumed.
        # Nor a cancelled contact question carry a visitor back to the form they were in.
        return [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None), SlotSet(RESUME_SLOT, None),
                SlotSet(OUTCOME_SLOT, None), SlotSet(SUPPORT_RESUME_SLOT, None),
                *(SlotSet(slot, None) for slot in answers)]
