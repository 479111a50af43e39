"""The rule policy: which action comes next, on small rules written for each case."""

from __future__ import annotations

import yaml
from rasa_sdk.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    FollowupAction,
    SessionStarted,
    SlotSet,
    UserUttered,
)

from dialogs.engine.domain import ACTION_DEFAULT_FALLBACK, ACTION_LISTEN, Domain
from dialogs.engine.policy import RulePolicy
from dialogs.engine.stories import load_rules
from dialogs.engine.tracker import Tracker

DOMAIN = Domain.from_dict({
    "intents": ["greet", "affirm", "ask", "stop"],
    "slots": {
        "vip": {"type": "bool", "mappings": [{"type": "custom"}]},
        "answer": {"type": "text", "mappings": [{"type": "from_text"}]},
    },
    "forms": {"survey_form": {"required_slots": ["answer"]}},
    "responses": {name: [{"text": name}] for name in
                  ("utter_hi", "utter_menu", "utter_vip", "utter_welcome", "utter_answer",
                   "utter_thanks")},
})


def policy(rules_yaml: str, tmp_path) -> RulePolicy:
    path = tmp_path / "rules.yml"
    path.write_text(rules_yaml)
    return RulePolicy(DOMAIN, load_rules(path))


def conversation(*steps) -> Tracker:
    """("user", intent), ("action", name) or a raw event, after a session start."""
    tracker = Tracker("t", DOMAIN, [SessionStarted(), ActionExecuted(ACTION_LISTEN)])
    for step in steps:
        if isinstance(step, dict):
            tracker.update(step)
        elif step[0] == "user":
            if tracker.latest_action_name != ACTION_LISTEN:
                tracker.update(ActionExecuted(ACTION_LISTEN))
            tracker.update(UserUttered("...", {"intent": {"name": step[1]}, "entities": []}))
        else:
            tracker.update(ActionExecuted(step[1]))
    return tracker


GREET = yaml.safe_dump({"rules": [
    {"rule": "greet", "steps": [{"intent": "greet"}, {"action": "utter_hi"},
                                {"action": "utter_menu"}]},
]})


def test_a_rule_runs_step_by_step_then_listens(tmp_path):
    rules = policy(GREET, tmp_path)

    assert rules.predict(conversation(("user", "greet"))) == "utter_hi"
    assert rules.predict(conversation(("user", "greet"), ("action", "utter_hi"))) == "utter_menu"
    assert rules.predict(conversation(("user", "greet"), ("action", "utter_hi"),
                                      ("action", "utter_menu"))) == ACTION_LISTEN


def test_nothing_matches_a_message_means_fallback_and_after_an_action_listening(tmp_path):
    rules = policy(GREET, tmp_path)

    assert rules.predict(conversation(("user", "ask"))) == ACTION_DEFAULT_FALLBACK
    assert rules.predict(conversation(("user", "ask"), ("action", ACTION_DEFAULT_FALLBACK))) \
        == ACTION_LISTEN


def test_the_rule_with_a_longer_match_wins(tmp_path):
    rules = policy(yaml.safe_dump({"rules": [
        {"rule": "short", "steps": [{"intent": "affirm"}, {"action": "utter_thanks"}]},
        {"rule": "long", "steps": [{"intent": "greet"}, {"action": "utter_hi"},
                                   {"intent": "affirm"}, {"action": "utter_welcome"}]},
    ]}), tmp_path)

    assert rules.predict(conversation(("user", "affirm"))) == "utter_thanks"
    assert rules.predict(conversation(("user", "greet"), ("action", "utter_hi"),
                                      ("user", "affirm"))) == "utter_welcome"


def test_a_rule_with_a_condition_wins_when_it_holds(tmp_path):
    rules = policy(yaml.safe_dump({"rules": [
        {"rule": "anyone", "steps": [{"intent": "greet"}, {"action": "utter_hi"}]},
        {"rule": "vip", "condition": [{"slot_was_set": [{"vip": True}]}],
         "steps": [{"intent": "greet"}, {"action": "utter_vip"}]},
    ]}), tmp_path)

    assert rules.predict(conversation(("user", "greet"))) == "utter_hi"
    assert rules.predict(conversation(SlotSet("vip", True), ("user", "greet"))) == "utter_vip"
    assert rules.predict(conversation(SlotSet("vip", False), ("user", "greet"))) == "utter_hi"


def test_conversation_start_rules_apply_only_at_the_start(tmp_path):
    rules = policy(yaml.safe_dump({"rules": [
        {"rule": "first", "conversation_start": True,
         "steps": [{"intent": "greet"}, {"action": "utter_welcome"}]},
        {"rule": "later", "steps": [{"intent": "greet"}, {"action": "utter_hi"}]},
    ]}), tmp_path)

    assert rules.predict(conversation(("user", "greet"))) == "utter_welcome"
    assert rules.predict(conversation(("user", "ask"), ("action", "utter_menu"),
                                      ("user", "greet"))) == "utter_hi"


FORM = yaml.safe_dump({"rules": [
    {"rule": "start", "steps": [{"intent": "ask"}, {"action": "survey_form"},
                                {"active_loop": "survey_form"}]},
    {"rule": "done", "condition": [{"active_loop": "survey_form"}],
     "steps": [{"action": "survey_form"}, {"active_loop": None},
               {"slot_was_set": [{"requested_slot": None}]}, {"action": "utter_thanks"}]},
    {"rule": "greet in the form", "condition": [{"active_loop": "survey_form"}],
     "steps": [{"intent": "greet"}, {"action": "utter_hi"}, {"action": "survey_form"},
               {"active_loop": "survey_form"}]},
]})


def test_an_active_form_takes_the_message_first(tmp_path):
    rules = policy(FORM, tmp_path)
    in_form = (("user", "ask"), ("action", "survey_form"), ActiveLoop("survey_form"))

    assert rules.predict(conversation(*in_form)) == ACTION_LISTEN
    assert rules.predict(conversation(*in_form, ("user", "greet"))) == "survey_form"


def test_a_message_the_form_rejects_goes_to_the_rules_then_back_to_the_form(tmp_path):
    rules = policy(FORM, tmp_path)
    rejected = (("user", "ask"), ("action", "survey_form"), ActiveLoop("survey_form"),
                ("user", "greet"), ActionExecutionRejected("survey_form"))

    assert rules.predict(conversation(*rejected)) == "utter_hi"
    assert rules.predict(conversation(*rejected, ("action", "utter_hi"))) == "survey_form"


def test_after_a_rule_for_any_time_the_rejected_form_asks_its_question_again(tmp_path):
    """A question asked at a prompt: the rule that answers it anywhere runs, then the form."""
    rules = policy(GREET, tmp_path)
    rejected = (("user", "ask"), ("action", "survey_form"), ActiveLoop("survey_form"),
                ("user", "greet"), ActionExecutionRejected("survey_form"))

    assert rules.predict(conversation(*rejected)) == "utter_hi"
    assert rules.predict(conversation(*rejected, ("action", "utter_hi"))) == "utter_menu"
    assert rules.predict(conversation(*rejected, ("action", "utter_hi"),
                                      ("action", "utter_menu"))) == "survey_form"
    assert rules.predict(conversation(*rejected, ("action", "utter_hi"),
                                      ("action", "utter_menu"), ("action", "survey_form"))) \
        == ACTION_LISTEN


def test_a_finished_form_goes_on_with_the_rule_after_it(tmp_path):
    rules = policy(FORM, tmp_path)

    finished = conversation(("user", "ask"), ("action", "survey_form"),
                            ActiveLoop("survey_form"), ("user", "affirm"),
                            ("action", "survey_form"), SlotSet("requested_slot", None),
                            ActiveLoop(None))

    assert rules.predict(finished) == "utter_thanks"


def test_a_followup_action_comes_first(tmp_path):
    rules = policy(GREET, tmp_path)

    assert rules.predict(conversation(("user", "greet"), FollowupAction("utter_vip"))) \
        == "utter_vip"


CATEGORICAL = Domain.from_dict({
    "intents": ["stop"],
    "slots": {"waiting": {"type": "categorical", "values": ["payment", "autopay"],
                          "mappings": [{"type": "custom"}]},
              "note": {"type": "text", "mappings": [{"type": "custom"}]},
              "vip": {"type": "bool", "mappings": [{"type": "custom"}]}},
    "responses": {name: [{"text": name}] for name in ("utter_dropped", "utter_stopped")},
})


def test_a_slot_named_without_a_value_is_read_as_rasa_reads_it(tmp_path):
    """Categorical: empty; text: set to anything; bool: true."""
    path = tmp_path / "rules.yml"
    for slot, holds, fails in (("waiting", None, "payment"), ("note", "x", None),
                               ("vip", True, False)):
        path.write_text(yaml.safe_dump({"rules": [
            {"rule": "stop", "steps": [{"intent": "stop"}, {"action": "utter_stopped"}]},
            {"rule": "drop", "condition": [{"slot_was_set": [slot]}],
             "steps": [{"intent": "stop"}, {"action": "utter_dropped"}]}]}))
        rules = RulePolicy(CATEGORICAL, load_rules(path))
        for value, expected in ((holds, "utter_dropped"), (fails, "utter_stopped")):
            tracker = Tracker("t", CATEGORICAL, [SessionStarted(), SlotSet(slot, value),
                                                 ActionExecuted(ACTION_LISTEN)])
            tracker.update(UserUttered("stop", {"intent": {"name": "stop"}, "entities": []}))
            assert rules.predict(tracker) == expected, (slot, value)
