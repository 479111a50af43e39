"""Cancel: leave whatever form is going on, forgetting its half-given answers; "bye" in the
middle of a form leaves it the same way, quietly."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict

from dialogs.actions.member_session import OUTCOME_SLOT, RESUME_SLOT

SUPPORT_RESUME_SLOT = "support_resume"  # dialogs/actions/support_request.py


class ActionLeaveForm(Action):
    """"Bye" in the middle of a form: the form ends quietly, after the goodbye."""

    def name(self) -> str:
        return "action_leave_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        form = tracker.active_loop_name
        return [] if form is None else leave(form, domain)


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
        return leave(form, domain)


def leave(form: str, domain: DomainDict) -> list[EventType]:
    """End `form`, forgetting its half-given answers. A log-in left must not carry the member
    on to what it would have resumed, nor a contact question a visitor back to their form."""
    answers = domain.get("forms", {}).get(form, {}).get("required_slots", [])
    return [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None), SlotSet(RESUME_SLOT, None),
            SlotSet(OUTCOME_SLOT, None), SlotSet(SUPPORT_RESUME_SLOT, None),
            *(SlotSet(slot, None) for slot in answers)]
