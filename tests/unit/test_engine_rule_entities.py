"""A rule's intent step may name entities: it matches only a message that has them, and wins
over the rule for the bare intent."""

from __future__ import annotations

import yaml
from rasa_sdk.events import ActionExecuted, SessionStarted, UserUttered

from dialogs.engine.domain import ACTION_LISTEN, Domain
from dialogs.engine.policy import RulePolicy
from dialogs.engine.stories import load_rules
from dialogs.engine.tracker import Tracker

DOMAIN = Domain.from_dict({
    "intents": ["ask"],
    "entities": ["topic"],
    "responses": {"utter_plain": [{"text": "plain"}], "utter_topic": [{"text": "topic"}]},
})
RULES = {"rules": [
    {"rule": "bare", "steps": [{"intent": "ask"}, {"action": "utter_plain"}]},
    {"rule": "with a topic", "steps": [{"intent": "ask", "entities": ["topic"]},
                                       {"action": "utter_topic"}]},
]}


def predict(tmp_path, rules: dict, entities: list[str]) -> str:
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump(rules))
    tracker = Tracker("t", DOMAIN, [SessionStarted(), ActionExecuted(ACTION_LISTEN)])
    tracker.update(UserUttered("...", {"intent": {"name": "ask"},
                                       "entities": [{"entity": e, "value": "x"}
                                                    for e in entities]}))
    return RulePolicy(DOMAIN, load_rules(path)).predict(tracker)


def test_the_rule_naming_the_entity_wins_when_the_message_has_it(tmp_path):
    assert predict(tmp_path, RULES, ["topic"]) == "utter_topic"
    # Whichever comes first in the file.
    assert predict(tmp_path, {"rules": RULES["rules"][::-1]}, ["topic"]) == "utter_topic"


def test_without_the_entity_the_bare_rule_applies(tmp_path):
    assert predict(tmp_path, RULES, []) == "utter_plain"
    assert predict(tmp_path, {"rules": RULES["rules"][1:]}, []) != "utter_topic"
