"""What the money conversations share: starting a form afresh, and the review waiting for the
member's Confirm.

A start action sets `flow_ready` every time it runs: true when its form should start (the rules
in data/rules.yml start the form on it), false when it said why not. A review that is waiting for
Confirm is named in `pending_review` (payment, autopay or method), so "cancel" or "no" drops it
and a typed "yes" confirms it.
"""

from __future__ import annotations

from collections.abc import Iterable

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

FLOW_READY = "flow_ready"
PENDING_REVIEW = "pending_review"
# What each review keeps until it is confirmed or dropped.
REVIEW_SLOTS = ("payment_draft", "autopay_review", "method_review")


def not_started(*events: EventType) -> list[EventType]:
    return [*events, SlotSet(FLOW_READY, False)]


def start_form(tracker: Tracker, form: str, answers: Iterable[str], *,
               fresh_intent: str) -> list[EventType]:
    """Start `form`. When the member has just asked for it (`fresh_intent`), answers left from
    an earlier run they walked away from are forgotten, except what this very message said
    ("pay $120"); resumed after logging in, or asked for again while it is going on ("can I
    pay with a card?" at its last question), the form keeps what it was given."""
    events: list[EventType] = []
    going_on = tracker.active_loop_name == form
    if tracker.get_intent_of_latest_message() == fresh_intent and not going_on:
        given = given_by_latest_message(tracker)
        events = [SlotSet(slot, None) for slot in answers
                  if slot not in given and tracker.get_slot(slot) is not None]
    return events + drop_review() + [SlotSet(FLOW_READY, True), FollowupAction(form)]


def open_review_tapped(tracker: Tracker, review_slot: str, confirm_slot: str) -> str | None:
    """The review a Confirm tap answers, when it is the review still open; None for a tap on
    an old, cancelled or foreign review. A typed "yes" (no tapped value) answers the open one."""
    reviewed = tracker.get_slot(review_slot)
    tapped = tracker.get_slot(confirm_slot) or reviewed
    return reviewed if reviewed is not None and tapped == reviewed else None


def drop_review() -> list[EventType]:
    return [SlotSet(PENDING_REVIEW, None), *(SlotSet(slot, None) for slot in REVIEW_SLOTS)]


def given_by_latest_message(tracker: Tracker) -> set[str]:
    """The slots the member's latest message filled."""
    given: set[str] = set()
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            break
        if event.get("event") == "slot":
            given.add(event["name"])
    return given


class ActionDiscardReview(Action):
    """"Cancel" or "no" while a payment, an autopay change or a method removal waits for
    Confirm: nothing happens, and the member is shown what else they can do."""

    def name(self) -> str:
        return "action_discard_review"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_review_discarded")
        dispatcher.utter_message(response="utter_help_menu")
        return drop_review()
