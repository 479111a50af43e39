"""Forms as Rasa runs them: what `validate_<form>` is shown, and which prompt asks a slot."""

from __future__ import annotations

import random

import pytest
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet, UserUttered

from dialogs.engine.dispatcher import ActionDispatcher
from dialogs.engine.domain import ACTION_LISTEN, Domain
from dialogs.engine.forms import FormLoop, LoopRejected
from dialogs.engine.responses import ResponseGenerator
from dialogs.engine.tracker import Tracker


class RecordingRunner:
    """Stands in for rasa-sdk: records each call and answers with no events."""

    def __init__(self):
        self.calls: list[dict] = []

    async def run(self, action_call: dict) -> dict:
        self.calls.append(action_call)
        return {"events": [], "responses": [{"text": f"ran {action_call['next_action']}"}]}


def domain(actions=(), responses=("utter_ask_city", "utter_ask_trip_form_city")) -> Domain:
    text_slot = {"type": "text", "mappings": [{"type": "from_text", "conditions": [
        {"active_loop": "trip_form"}]}]}
    return Domain.from_dict({
        "intents": ["inform"],
        "slots": {"city": text_slot, "day": text_slot},
        "forms": {"trip_form": {"required_slots": ["city", "day"]}},
        "actions": list(actions),
        "responses": {name: [{"text": name}] for name in (*responses, "utter_ask_day")},
    })


def form(d: Domain, runner: RecordingRunner) -> FormLoop:
    return FormLoop("trip_form", d, ActionDispatcher(d, ResponseGenerator(d.responses,
                                                                          rng=random.Random(0)),
                                                     runner))


def answered(d: Domain, *slot_events) -> Tracker:
    return Tracker("console:1", d, [
        SessionStarted(), ActionExecuted("trip_form"), {"event": "active_loop",
                                                        "name": "trip_form"},
        SlotSet("requested_slot", "city"), ActionExecuted(ACTION_LISTEN),
        UserUttered("Boston", {"intent": {"name": "inform"}, "entities": []}), *slot_events])


async def test_the_validator_finds_the_answer_at_the_end_of_the_tracker():
    d = domain(actions=["validate_trip_form"])
    runner = RecordingRunner()

    await form(d, runner).run(answered(d, SlotSet("city", "Boston")))

    (call,) = runner.calls
    events = call["tracker"]["events"]
    assert call["next_action"] == "validate_trip_form"
    assert [e["event"] for e in events[-3:]] == ["slot", "action", "slot"]
    assert events[-1]["name"] == "city" and events[-1]["value"] == "Boston"
    assert events[-2]["name"] == "trip_form"
    assert call["tracker"]["slots"]["city"] == "Boston"


async def test_prompts_are_looked_up_in_rasas_order():
    d = domain()

    events = await form(d, RecordingRunner()).run(answered(d, SlotSet("city", "Boston")))
    assert [e["text"] for e in events if e["event"] == "bot"] == ["utter_ask_day"]

    first = Tracker("console:1", d, [SessionStarted(), ActionExecuted(ACTION_LISTEN)])
    events = await form(d, RecordingRunner()).run(first)
    # utter_ask_<form>_<slot> before utter_ask_<slot>.
    assert [e["text"] for e in events if e["event"] == "bot"] == ["utter_ask_trip_form_city"]

    runner = RecordingRunner()
    with_action = domain(actions=["action_ask_city"])
    await form(with_action, runner).run(first)
    # action_ask_<slot> before utter_ask_<slot>, after the form-specific ones.
    assert [c["next_action"] for c in runner.calls] == []
    only_generic = domain(actions=["action_ask_city"], responses=("utter_ask_city",))
    await form(only_generic, runner).run(first)
    assert [c["next_action"] for c in runner.calls] == ["action_ask_city"]


async def test_a_message_that_fills_nothing_is_rejected():
    d = domain()

    with pytest.raises(LoopRejected):
        await form(d, RecordingRunner()).run(answered(d))


async def test_a_question_asked_again_and_again_comes_with_ways_out():
    d = Domain.from_dict({
        "intents": ["inform"],
        "slots": {"city": {"type": "text", "mappings": [{"type": "from_text", "conditions": [
            {"active_loop": "trip_form"}]}]}},
        "forms": {"trip_form": {"required_slots": ["city"]}},
        "actions": ["validate_trip_form"],
        "responses": {"utter_ask_city": [{"text": "Which city?"}],
                      "utter_stuck_at_prompt": [{"text": "Ways out", "buttons": [
                          {"title": "Cancel", "payload": "/cancel"}]}]},
    })
    tracker = Tracker("console:1", d, [SessionStarted(), ActionExecuted(ACTION_LISTEN)])

    class Refusing(RecordingRunner):
        async def run(self, action_call):
            return {"events": [{"event": "slot", "name": "city", "value": None}],
                    "responses": []}

    asked = []
    for attempt in range(5):
        events = await form(d, Refusing()).run(tracker)
        asked.append([e["text"] for e in events if e["event"] == "bot"])
        for event in events:
            tracker.update(event)
        tracker.update(ActionExecuted("trip_form"))
        tracker.update(ActionExecuted(ACTION_LISTEN))
        tracker.update(UserUttered(f"no idea {attempt}", {"intent": {"name": "inform"},
                                                          "entities": []}))
        tracker.update(SlotSet("city", f"no idea {attempt}"))

    assert asked[:3] == [["Which city?"]] * 3
    assert asked[3:] == [["Which city?", "Ways out"]] * 2
