"""Forms, as Rasa's FormAction runs them.

A form asks for its required slots in order. Right after a member's message it validates the
slots that message filled through the rasa-sdk action `validate_<form>` (the candidates are
appended as slot events at the end of the tracker, where FormValidationAction looks for them),
then asks for the next empty slot with the first of `action_ask_<form>_<slot>`,
`utter_ask_<form>_<slot>`, `action_ask_<slot>`, `utter_ask_<slot>` the domain has. When a
message fills nothing the form was waiting for, the form rejects it so the rules can handle it
(a question, "cancel"); run again after that, it asks for the same slot again. After MAX_TRIES
messages at the same prompt, the question comes with ways out as buttons.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rasa_sdk.events import ActionExecuted, ActiveLoop, SlotSet

from dialogs.engine.domain import ACTION_LISTEN, REQUESTED_SLOT, Domain
from dialogs.engine.tracker import Tracker

if TYPE_CHECKING:
    from dialogs.engine.dispatcher import ActionDispatcher


# After this many messages at one prompt the prompt comes with ways out (WAY_OUT_RESPONSE):
# no form can hold a member who cannot give the answer.
MAX_TRIES = 3
WAY_OUT_RESPONSE = "utter_stuck_at_prompt"


class LoopRejected(Exception):
    """The form could not use the member's message."""


class FormLoop:
    def __init__(self, name: str, domain: Domain, dispatcher: ActionDispatcher):
        self.name = name
        self._domain = domain
        self._dispatcher = dispatcher
        self._required = domain.forms[name]

    async def run(self, tracker: Tracker) -> list[dict]:
        events: list[dict] = []
        if tracker.active_loop_name != self.name:
            events.append(ActiveLoop(self.name))
            prefilled = {slot: tracker.slots[slot] for slot in self._required
                         if tracker.slots.get(slot) is not None}
            events += await self._validate(prefilled, tracker)
        elif tracker.latest_action_name == ACTION_LISTEN and not tracker.loop_rejected:
            validation = await self._validate(self._candidates(tracker), tracker)
            if tracker.slots.get(REQUESTED_SLOT) and not any(
                    e["event"] == "slot" and e["name"] != REQUESTED_SLOT for e in validation):
                raise LoopRejected(self.name)
            events += validation
        else:
            # Back after the rules handled a message the form rejected (or a rule ran the form
            # right away, as "log in" at the log-in form does): nothing to validate.
            events += await self._validate({}, tracker)
        if not _is_done(events):
            events += await self._request_next_slot(tracker, events)
        if _is_done(events):
            events.append(ActiveLoop(None))
        return events

    def _candidates(self, tracker: Tracker) -> dict[str, Any]:
        wanted = set(self._required) | {tracker.slots.get(REQUESTED_SLOT)}
        return {event["name"]: event["value"]
                for event in tracker.events_since_latest_user_message()
                if event["event"] == "slot" and event["name"] in wanted}

    async def _validate(self, candidates: dict[str, Any], tracker: Tracker) -> list[dict]:
        slot_events = [SlotSet(name, value) for name, value in candidates.items()]
        validator = f"validate_{self.name}"
        if validator not in self._domain.actions:
            return slot_events
        requested = tracker.slots.get(REQUESTED_SLOT) \
            if tracker.active_loop_name == self.name else None
        shown = tracker.extended(
            [SlotSet(REQUESTED_SLOT, requested), ActionExecuted(self.name), *slot_events])
        validation = await self._dispatcher.run_custom(validator, shown)
        # A candidate the validator says nothing about is valid; it rejects one by setting
        # it to None.
        validated = {e["name"] for e in validation if e["event"] == "slot"}
        return validation + [e for e in slot_events if e["name"] not in validated]

    async def _request_next_slot(self, tracker: Tracker, events: list[dict]) -> list[dict]:
        after = tracker.extended(events)
        slot = next((e["value"] for e in events
                     if e["event"] == "slot" and e["name"] == REQUESTED_SLOT), None)
        requesting: list[dict] = []
        if not slot:
            slot = next((s for s in self._required if after.slots.get(s) is None), None)
            requesting.append(SlotSet(REQUESTED_SLOT, slot))
        if not slot:
            return requesting
        ask = self._ask_action(slot)
        if ask is None:
            return requesting
        asked = tracker.extended(events + requesting)
        asking = await self._dispatcher.run(ask, asked)
        if _tries_at(asked, slot) >= MAX_TRIES and WAY_OUT_RESPONSE in self._domain.responses:
            # Asked again and again: say so, and offer ways out as buttons.
            asking.append(self._dispatcher.utter(WAY_OUT_RESPONSE, tracker))
        return requesting + asking

    def _ask_action(self, slot: str) -> str | None:
        for name in (f"action_ask_{self.name}_{slot}", f"utter_ask_{self.name}_{slot}",
                     f"action_ask_{slot}", f"utter_ask_{slot}"):
            if name in self._domain.actions or name in self._domain.responses:
                return name
        return None


def _tries_at(tracker: Tracker, slot: str) -> int:
    """How many messages the member has sent since this form run first asked for `slot`
    without getting past it (answers refused, questions answered in between)."""
    seen = tries = 0
    for event in reversed(tracker.events):
        kind = event["event"]
        if kind in ("active_loop", "session_started", "restart"):
            break
        if kind == "slot" and event["name"] == REQUESTED_SLOT:
            if event["value"] not in (None, slot):
                break
            if event["value"] == slot:
                tries = seen
        elif kind == "user":
            seen += 1
    return tries


def _is_done(events: list[dict]) -> bool:
    """Done when the last word on the requested slot is None, or the form was deactivated."""
    for event in reversed(events):
        if event["event"] == "slot" and event["name"] == REQUESTED_SLOT:
            return event["value"] is None
        if event["event"] == "active_loop":
            return event["name"] is None
    return False
