"""What `rasa data validate` does, for data/ and dialogs/actions: every intent, entity, slot,
response, form and action referenced exists; the rasa-sdk actions registered are exactly the
custom actions declared; no story or rule contradicts another. Each check is also shown to
catch the mistake it is for."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dialogs.engine.action_runner import InProcessActionRunner
from dialogs.engine.domain import DATA_DIR, Domain
from dialogs.engine.stories import load_rules, load_stories
from dialogs.engine.validation import (
    check_consistency,
    check_data,
    check_data_dir,
    check_incomplete_rules,
)

ACTIONS_DIR = Path(__file__).resolve().parents[2] / "dialogs" / "actions"
RULES_BEFORE_ISSUE_12 = Path(__file__).resolve().parents[1] / "data" / "rules_before_issue_12.yml"
INTENTS = {"greet", "goodbye", "thank", "affirm", "deny", "cancel", "help", "out_of_scope",
           "inform", "log_in", "log_out", "create_account", "forgot_password", "login_problem",
           "check_balance", "payment_history", "make_payment", "setup_autopay",
           "cancel_autopay", "manage_payment_methods", "payment_declined", "payment_missing",
           "missed_payment", "reminder_settings", "talk_to_human"}


@pytest.fixture(scope="module")
def registered():
    return InProcessActionRunner().action_names()


def raw_domain() -> dict:
    return yaml.safe_load((DATA_DIR / "domain.yml").read_text())


def problems(registered, *, domain=None, rules=None, stories=None, tmp_path=None,
             nlu_path=DATA_DIR / "nlu.yml", sensitive=()):
    def load(loader, name, override):
        if override is None:
            return loader(DATA_DIR / name)
        path = tmp_path / name
        path.write_text(yaml.safe_dump(override))
        return loader(path)

    return check_data(
        Domain.from_dict(domain, sensitive_slots=sensitive) if domain else Domain.load(),
        load(load_rules, "rules.yml", rules),
        load(load_stories, "stories.yml", stories),
        registered_actions=registered,
        nlu_path=nlu_path,
        actions_dir=ACTIONS_DIR,
    )


def test_the_data_is_valid():
    assert check_data_dir() == []


def test_the_domain_has_exactly_the_intents_of_the_issue():
    domain = Domain.load()
    assert set(domain.intents) == INTENTS
    assert len(domain.intents) == len(INTENTS)
    assert {"amount", "date", "payment_reference", "member_id"} <= set(domain.entities)
    assert domain.raw["version"] == "3.1"


def test_every_rasa_sdk_action_is_declared_and_every_declared_action_registered(registered):
    assert registered == set(Domain.load().actions)


def test_an_undeclared_or_unregistered_action_is_reported(registered):
    assert problems(registered | {"action_extra"}) == [
        "dialogs/actions: 'action_extra' is registered but not in domain.yml actions"]
    domain = raw_domain()
    domain["actions"].append("action_missing")
    assert "domain.yml: action 'action_missing' is declared but dialogs/actions has none" \
        in problems(registered, domain=domain)


def test_unknown_names_in_rules_are_reported(registered, tmp_path):
    rules = yaml.safe_load((DATA_DIR / "rules.yml").read_text())
    rules["rules"].append({"rule": "broken", "condition": [{"active_loop": "no_form"}],
                           "steps": [{"intent": "pay_now", "entities": ["iban"]},
                                     {"action": "utter_nowhere"},
                                     {"slot_was_set": [{"mood": "good"}]}]})

    found = problems(registered, rules=rules, tmp_path=tmp_path)

    assert set(found) == {
        "rules.yml: rule 'broken', step 1: unknown intent 'pay_now'",
        "rules.yml: rule 'broken', step 1: unknown entity 'iban'",
        "rules.yml: rule 'broken', step 2: unknown action 'utter_nowhere'",
        "rules.yml: rule 'broken', step 2: unknown slot 'mood'",
        "rules.yml: rule 'broken', condition: unknown form 'no_form'",
    }


def test_rules_that_contradict_each_other_are_reported(registered, tmp_path):
    rules = yaml.safe_load((DATA_DIR / "rules.yml").read_text())
    rules["rules"].append({"rule": "greet differently",
                           "steps": [{"intent": "greet"}, {"action": "utter_greet"},
                                     {"action": "utter_goodbye"}]})

    found = problems(registered, rules=rules, tmp_path=tmp_path)

    assert found == ["rules.yml: rule 'greet differently', step 3 (action utter_goodbye): "
                     "the rules and forms predict 'utter_help_menu' here"]


# --- Rasa's rule checks: what made Rasa 3.6 refuse to train on the rules before issue 12 ------


def test_the_rules_before_issue_12_fail_the_checks_rasa_fails_them_on(registered):
    old = load_rules(RULES_BEFORE_ISSUE_12)
    domain = Domain.load()

    found = check_data(domain, old, load_stories(DATA_DIR / "stories.yml"),
                       registered_actions=registered)

    for name in ("cancel", "no"):
        assert (f"rules.yml: rule 'Drop the review waiting for Confirm on {name}', condition: "
                "categorical slot 'pending_review' is named without a value, which Rasa reads "
                "as empty: name the value") in found
    assert check_incomplete_rules(domain, old) == [
        "rules.yml: rule 'Stop autopay', step 2 (action_manage_autopay): other rules say what "
        "it sets flow_ready to, this one does not (add slot_was_set, or "
        "wait_for_user_input: false after a last step)"]
    contradictions = check_consistency(domain, old, [])
    assert ("rules.yml: rule 'Cancel whatever is going on, a form included', step 2 (action "
            "action_cancel): the rules and forms predict 'action_discard_review' here"
            in contradictions)


def test_an_incomplete_rule_is_reported(registered, tmp_path):
    rules = yaml.safe_load((DATA_DIR / "rules.yml").read_text())
    rules["rules"].append({"rule": "pay when asked twice",
                           "steps": [{"intent": "make_payment"},
                                     {"action": "action_start_payment"}]})
    rules["rules"].append({"rule": "log in without saying what the form does",
                           "steps": [{"intent": "log_in"}, {"action": "login_form"}]})

    found = problems(registered, rules=rules, tmp_path=tmp_path)

    assert found[:2] == [
        "rules.yml: rule 'pay when asked twice', step 2 (action_start_payment): other rules "
        "say what it sets flow_ready to, this one does not (add slot_was_set, or "
        "wait_for_user_input: false after a last step)",
        "rules.yml: rule 'log in without saying what the form does', step 2 (login_form): "
        "other rules say which form is active after it, this one does not (add active_loop)"]


def test_a_last_step_that_does_not_wait_for_the_member_need_not_say_what_it_sets(tmp_path):
    rules = yaml.safe_load((DATA_DIR / "rules.yml").read_text())
    rules["rules"].append({"rule": "pay, whatever follows", "wait_for_user_input": False,
                           "steps": [{"intent": "make_payment"},
                                     {"action": "action_start_payment"}]})

    assert not any("pay, whatever follows" in p and "flow_ready" in p
                   for p in check_incomplete_rules(Domain.load(), load_rules(
                       _written(tmp_path, rules))))


def test_a_categorical_slot_named_without_a_value_is_read_as_empty(registered, tmp_path):
    """As Rasa reads it: the rule below is for "no review pending", so it contradicts the rule
    for "cancel" in the same state."""
    domain = Domain.load()
    rules = [*load_rules(DATA_DIR / "rules.yml"), *load_rules(_written(tmp_path, {"rules": [
        {"rule": "drop any review", "condition": [{"active_loop": None},
                                                  {"slot_was_set": ["pending_review"]}],
         "steps": [{"intent": "cancel"}, {"action": "action_discard_review"}]}]}))]

    assert "drop any review" in str(check_data(domain, rules, [],
                                               registered_actions=registered))
    assert ("rules.yml: rule 'Cancel whatever is going on, a form included', step 2 (action "
            "action_cancel): the rules and forms predict 'action_discard_review' here"
            in check_consistency(domain, rules, []))


def _written(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_a_story_the_rules_do_not_follow_is_reported(registered, tmp_path):
    stories = {"stories": [{"story": "thanks twice", "steps": [
        {"intent": "thank"}, {"action": "utter_you_are_welcome"},
        {"action": "utter_you_are_welcome"}]}]}

    found = problems(registered, stories=stories, tmp_path=tmp_path)

    assert found == ["stories.yml: story 'thanks twice', step 3 (action utter_you_are_welcome): "
                     "the rules and forms predict 'action_listen' here"]


def test_a_story_whose_form_would_take_the_message_is_reported(registered, tmp_path):
    stories = {"stories": [{"story": "days as a question", "steps": [
        {"intent": "reminder_settings"}, {"action": "action_show_reminder_settings"},
        {"action": "reminder_settings_form"}, {"active_loop": "reminder_settings_form"},
        {"slot_was_set": [{"requested_slot": "reminders_enabled"}]},
        {"intent": "check_balance"}, {"slot_was_set": [{"reminders_enabled": True}]},
        {"action": "action_explain_due_date"}]}]}

    found = problems(registered, stories=stories, tmp_path=tmp_path)

    assert found == ["stories.yml: story 'days as a question', step 5 (action "
                     "action_explain_due_date): the form 'reminder_settings_form' takes this "
                     "message"]


def test_form_mistakes_are_reported(registered):
    domain = raw_domain()
    domain["slots"]["quiet_hours"]["mappings"][0]["not_intent"] = ["help"]
    del domain["responses"]["utter_ask_quiet_hours"]
    domain["slots"]["reminder_days"]["mappings"][1]["conditions"][0]["requested_slot"] = "color"

    found = problems(registered, domain=domain)

    assert set(found) >= {
        "domain.yml: form 'reminder_settings_form': nothing asks for 'quiet_hours' "
        "(utter_ask_quiet_hours?)",
        "domain.yml: form 'reminder_settings_form': 'quiet_hours' takes any text, \"cancel\" "
        "included (add cancel to not_intent)",
        "domain.yml: slot 'reminder_days': condition on 'color', not a slot of "
        "'reminder_settings_form'",
    }


def test_response_mistakes_are_reported(registered):
    domain = raw_domain()
    domain["slots"]["password"] = {"type": "text", "mappings": [{"type": "custom"}]}
    domain["responses"]["utter_goodbye"].append({"text": "Bye, {password}!"})
    domain["responses"]["utter_greet"].append(
        {"condition": [{"type": "slot", "name": "language", "value": "fr"}], "text": "Salut"})
    domain["responses"]["utter_help_menu"][0]["buttons"].append(
        {"title": "Pay", "payload": '/make_payment{"iban": "x"}'})
    domain["responses"]["utter_help_menu"][0]["buttons"].append(
        {"title": "Long", "payload": "/make_payment" + " " * 60})
    domain["responses"]["utter_intent_fly"] = [{"text": "Fly"}]
    del domain["responses"]["utter_did_you_mean"]

    found = problems(registered, domain=domain, sensitive=["password"])

    assert set(found) >= {
        "domain.yml: response 'utter_goodbye': shows the sensitive slot 'password'",
        "domain.yml: response 'utter_greet': 'fr' is not a value of 'language'",
        "domain.yml: response 'utter_help_menu': payload '/make_payment{\"iban\": \"x\"}' sets "
        "unknown entity 'iban'",
        "domain.yml: response 'utter_intent_fly': labels unknown intent 'fly'",
        "domain.yml: the engine needs a response 'utter_did_you_mean'",
    }
    assert any("longer than 64 bytes" in problem for problem in found)


def test_a_response_an_action_uses_must_exist(registered):
    domain = raw_domain()
    del domain["responses"]["utter_nothing_to_cancel"]

    assert "cancel.py: uses response 'utter_nothing_to_cancel', not in domain.yml" \
        in problems(registered, domain=domain)


def test_nlu_intents_and_domain_intents_must_agree(registered, tmp_path):
    nlu = tmp_path / "nlu.yml"
    nlu.write_text(yaml.safe_dump({"nlu": [
        {"intent": "greet", "examples": "- hi\n- pay [5](tip)\n"},
        {"intent": "dance", "examples": "- let's dance\n"}]}))

    found = problems(registered, nlu_path=nlu)

    assert "nlu.yml: intent 'dance' is not in domain.yml" in found
    assert "nlu.yml: no examples for intent 'goodbye'" in found
    assert "nlu.yml: intent 'greet' annotates unknown entity 'tip'" in found
