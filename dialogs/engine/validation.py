"""What `rasa data validate` and Rasa's rule policy check, for the data in data/ and the actions
in dialogs/actions: everything referenced exists, the actions registered are the actions
declared, no rule or story contradicts another (each is replayed through the rules and forms,
which must predict every one of its actions, with slots read as Rasa reads them), no slot is
named without a value where Rasa would read it as empty, and no rule is incomplete (an action
that sets a slot the conversation depends on in one rule says what that slot becomes in every
rule where the conversation goes on after it).

`check_data_dir()` checks data/ against dialogs/actions; `check_data(...)` checks given parts.
Both return the problems found, each a sentence naming the file and the step.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

import yaml
from rasa_sdk.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    SessionStarted,
    SlotSet,
    UserUttered,
)

from dialogs.engine.action_runner import ACTIONS_PACKAGE, InProcessActionRunner
from dialogs.engine.domain import (
    ACTION_LISTEN,
    DATA_DIR,
    ENGINE_RESPONSES,
    INTENT_LABEL_PREFIX,
    REQUESTED_SLOT,
    Domain,
)
from dialogs.engine.payloads import parse_payload
from dialogs.engine.policy import RulePolicy
from dialogs.engine.stories import (
    IS_SET,
    UNSET,
    Rule,
    Step,
    Story,
    load_rules,
    load_stories,
    name_only_value,
    read_as_rasa,
)
from dialogs.engine.tracker import Tracker

# Telegram's limit on a button's callback data.
MAX_PAYLOAD_BYTES = 64
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_RESPONSE_IN_CODE = re.compile(r"""response=["'](utter_\w+)["']""")
_ANNOTATED_ENTITY = re.compile(r"\]\((\w+)[:)]|\]\{\"entity\":\s*\"(\w+)\"")


def check_data_dir(data_dir: Path = DATA_DIR) -> list[str]:
    actions_dir = Path(__file__).resolve().parents[2].joinpath(*ACTIONS_PACKAGE.split("."))
    return check_data(
        Domain.load(data_dir / "domain.yml", data_dir / "sensitive_slots.yml",
                    language_dirs=(data_dir / "languages",)),
        load_rules(data_dir / "rules.yml"),
        load_stories(data_dir / "stories.yml"),
        registered_actions=InProcessActionRunner().action_names(),
        nlu_path=data_dir / "nlu.yml",
        actions_dir=actions_dir,
    )


def check_data(domain: Domain, rules: Sequence[Rule], stories: Sequence[Story], *,
               registered_actions: Iterable[str], nlu_path: Path | None = None,
               actions_dir: Path | None = None) -> list[str]:
    problems = []
    problems += check_domain(domain)
    problems += check_actions(domain, set(registered_actions))
    for rule in rules:
        problems += check_steps(domain, rule.steps, f"rules.yml: rule {rule.name!r}")
        problems += check_condition(domain, rule, f"rules.yml: rule {rule.name!r}")
    for story in stories:
        problems += check_steps(domain, story.steps, f"stories.yml: story {story.name!r}")
    if not problems:  # replaying needs every name to exist
        problems += check_incomplete_rules(domain, rules)
        problems += check_consistency(domain, rules, stories)
    if nlu_path is not None:
        problems += check_nlu(domain, nlu_path)
    if actions_dir is not None:
        problems += check_responses_used_by_actions(domain, actions_dir)
    return problems


# --- the domain -----------------------------------------------------------------------------


def check_domain(domain: Domain) -> list[str]:
    problems = []
    for name in ENGINE_RESPONSES:
        if name not in domain.responses:
            problems.append(f"domain.yml: the engine needs a response {name!r}")
    for slot in domain.slots.values():
        problems += _check_mappings(domain, slot.name, slot.mappings)
    for form, required in domain.forms.items():
        problems += _check_form(domain, form, required)
    for name, variations in domain.responses.items():
        problems += _check_response(domain, name, variations)
    if "session_config" not in domain.raw:
        problems.append("domain.yml: no session_config (session expiry)")
    return problems


def _check_mappings(domain: Domain, slot: str, mappings: Sequence[dict]) -> list[str]:
    problems = []
    where = f"domain.yml: slot {slot!r}"
    for mapping in mappings:
        if mapping["type"] == "from_entity" and mapping.get("entity") not in domain.entities:
            problems.append(f"{where}: maps from unknown entity {mapping.get('entity')!r}")
        for key in ("intent", "not_intent"):
            for intent in _as_list(mapping.get(key)):
                if not domain.knows_intent(intent):
                    problems.append(f"{where}: {key} names unknown intent {intent!r}")
        for condition in mapping.get("conditions") or ():
            form = condition.get("active_loop")
            if form is not None and form not in domain.forms:
                problems.append(f"{where}: condition on unknown form {form!r}")
            requested = condition.get("requested_slot")
            if requested is not None and requested not in domain.forms.get(form, ()):
                problems.append(f"{where}: condition on {requested!r}, not a slot of {form!r}")
    return problems


def _check_form(domain: Domain, form: str, required: Sequence[str]) -> list[str]:
    problems = []
    where = f"domain.yml: form {form!r}"
    for slot in required:
        if slot not in domain.slots:
            problems.append(f"{where}: requires unknown slot {slot!r}")
            continue
        prompts = (f"action_ask_{form}_{slot}", f"utter_ask_{form}_{slot}",
                   f"action_ask_{slot}", f"utter_ask_{slot}")
        if not any(p in domain.actions or p in domain.responses for p in prompts):
            problems.append(f"{where}: nothing asks for {slot!r} (utter_ask_{slot}?)")
        for mapping in domain.slots[slot].mappings:
            # "cancel" must always leave a form: an answer that takes any text must not take it.
            if mapping["type"] == "from_text" and "cancel" not in _as_list(
                    mapping.get("not_intent")) and not mapping.get("intent"):
                problems.append(f"{where}: {slot!r} takes any text, \"cancel\" included "
                                "(add cancel to not_intent)")
            if mapping["type"] == "from_intent" and "cancel" in _as_list(mapping.get("intent")):
                problems.append(f"{where}: {slot!r} is filled by the intent cancel")
    return problems


def _check_response(domain: Domain, name: str, variations: Sequence[dict]) -> list[str]:
    problems = []
    where = f"domain.yml: response {name!r}"
    if not any(not v.get("condition") for v in variations):
        problems.append(f"{where}: no variation without a condition (the default language)")
    for variation in variations:
        for condition in variation.get("condition") or ():
            slot = domain.slots.get(condition.get("name"))
            if condition.get("type") != "slot" or slot is None:
                problems.append(f"{where}: condition on unknown slot {condition.get('name')!r}")
            elif slot.type == "categorical" and condition.get("value") not in slot.values:
                problems.append(f"{where}: {condition.get('value')!r} is not a value of "
                                f"{slot.name!r}")
        text = json.dumps([variation.get("text"), variation.get("buttons"),
                           variation.get("custom")])
        for placeholder in _PLACEHOLDER.findall(text):
            if placeholder in domain.sensitive_slots:
                problems.append(f"{where}: shows the sensitive slot {placeholder!r}")
        for button in variation.get("buttons") or ():
            problems += _check_payload(domain, where, button.get("payload", ""))
    if name.startswith(INTENT_LABEL_PREFIX) and name[len(INTENT_LABEL_PREFIX):] \
            not in domain.intents:
        problems.append(f"{where}: labels unknown intent {name[len(INTENT_LABEL_PREFIX):]!r}")
    return problems


def _check_payload(domain: Domain, where: str, payload: str) -> list[str]:
    if len(payload.encode()) > MAX_PAYLOAD_BYTES:
        return [f"{where}: payload {payload!r} is longer than {MAX_PAYLOAD_BYTES} bytes"]
    if not payload.startswith("/"):
        return []
    parsed = parse_payload(payload, domain.intents)
    if parsed is None:
        return [f"{where}: payload {payload!r} is not /intent or /intent{{json}} of the domain"]
    return [f"{where}: payload {payload!r} sets unknown entity {e['entity']!r}"
            for e in parsed["entities"] if e["entity"] not in domain.entities]


def check_actions(domain: Domain, registered: set[str]) -> list[str]:
    declared = set(domain.actions)
    problems = [f"dialogs/actions: {name!r} is registered but not in domain.yml actions"
                for name in sorted(registered - declared)]
    problems += [f"domain.yml: action {name!r} is declared but dialogs/actions has none"
                 for name in sorted(declared - registered)]
    for name in declared:
        if name.startswith("validate_") and name[len("validate_"):] not in domain.forms:
            problems.append(f"domain.yml: {name!r} validates no form")
    return problems


def check_responses_used_by_actions(domain: Domain, actions_dir: Path) -> list[str]:
    problems = []
    for source in sorted(actions_dir.glob("*.py")):
        for name in _RESPONSE_IN_CODE.findall(source.read_text()):
            if name not in domain.responses:
                problems.append(f"{source.name}: uses response {name!r}, not in domain.yml")
    return problems


# --- rules and stories ----------------------------------------------------------------------


def check_steps(domain: Domain, steps: Sequence[Step], where: str) -> list[str]:
    problems = []
    for number, step in enumerate(steps, 1):
        at = f"{where}, step {number}"
        if step.kind == "intent" and not domain.knows_intent(step.name):
            problems.append(f"{at}: unknown intent {step.name!r}")
        if step.kind == "action" and not domain.knows_action(step.name):
            problems.append(f"{at}: unknown action {step.name!r}")
        problems += [f"{at}: unknown entity {e!r}" for e in step.entities
                     if e not in domain.entities]
        problems += _check_slot_values(domain, step.slots, at)
        if step.active_loop not in (UNSET, None) and step.active_loop not in domain.forms:
            problems.append(f"{at}: unknown form {step.active_loop!r}")
    return problems


def check_condition(domain: Domain, rule: Rule, where: str) -> list[str]:
    problems = _check_slot_values(domain, rule.condition_slots, f"{where}, condition")
    if rule.condition_loop not in (UNSET, None) and rule.condition_loop not in domain.forms:
        problems.append(f"{where}, condition: unknown form {rule.condition_loop!r}")
    return problems


def _check_slot_values(domain: Domain, values, at: str) -> list[str]:
    problems = []
    for name, value in values:
        if name not in domain.slots:
            problems.append(f"{at}: unknown slot {name!r}")
        elif value is IS_SET and name_only_value(domain, name) is None \
                and influences_conversation(domain, name):
            problems.append(f"{at}: {domain.slots[name].type} slot {name!r} is named without a "
                            "value, which Rasa reads as empty: name the value")
        elif name == REQUESTED_SLOT and value not in (None, IS_SET) \
                and value not in domain.form_slots():
            problems.append(f"{at}: requested_slot {value!r} is no form's slot")
    return problems


def influences_conversation(domain: Domain, slot: str) -> bool:
    """Whether Rasa featurizes the slot: only those can make a rule or story differ."""
    if slot == REQUESTED_SLOT:
        return False
    spec = (domain.raw.get("slots") or {}).get(slot) or {}
    return spec.get("type") != "any" and spec.get("influence_conversation", True) is not False


def check_incomplete_rules(domain: Domain, rules: Sequence[Rule]) -> list[str]:
    """Rasa's incomplete-rule check. An action's fingerprint is every slot the conversation
    depends on that it sets, and every form state it leaves, in any rule; in every rule that
    goes on after the action, the state after it must give those slots a value (null included)
    and be one of those form states."""
    rules = read_as_rasa(domain, rules)
    slots_set: dict[str, set[str]] = defaultdict(set)
    loops_left: dict[str, set] = defaultdict(set)
    for rule in rules:
        for step in rule.steps:
            if step.kind == "action":
                slots_set[step.name] |= {name for name, _ in step.slots
                                         if influences_conversation(domain, name)}
                if step.active_loop is not UNSET:
                    loops_left[step.name].add(step.active_loop)
    problems = []
    for rule in rules:
        where = f"rules.yml: rule {rule.name!r}"
        known = {name for name, _ in rule.condition_slots}
        loop = rule.condition_loop
        for number, step in enumerate(rule.steps, 1):
            known |= {name for name, _ in step.slots}
            loop = loop if step.active_loop is UNSET else step.active_loop
            if step.kind != "action" or (number == len(rule.steps)
                                         and not rule.wait_for_user_input):
                continue
            missing = sorted(slots_set[step.name] - known)
            if missing:
                problems.append(
                    f"{where}, step {number} ({step.name}): other rules say what it sets "
                    f"{', '.join(missing)} to, this one does not (add slot_was_set, or "
                    "wait_for_user_input: false after a last step)")
            if loops_left[step.name] and loop not in loops_left[step.name]:
                problems.append(
                    f"{where}, step {number} ({step.name}): other rules say which form is "
                    "active after it, this one does not (add active_loop)")
    return problems


def check_consistency(domain: Domain, rules: Sequence[Rule], stories: Sequence[Story]
                      ) -> list[str]:
    policy = RulePolicy(domain, rules)
    rules = read_as_rasa(domain, rules)
    stories = [Story(story.name, rule.steps)
               for story, rule in zip(stories, read_as_rasa(domain, [
                   Rule(story.name, story.steps) for story in stories]), strict=True)]
    problems = []
    for rule in rules:
        problems += _replay(policy, domain, rule.steps, f"rules.yml: rule {rule.name!r}",
                            loop=rule.condition_loop, slots=rule.condition_slots,
                            listen_at_end=rule.wait_for_user_input)
    for story in stories:
        problems += _replay(policy, domain, story.steps, f"stories.yml: story {story.name!r}")
    return problems


def _replay(policy: RulePolicy, domain: Domain, steps: Sequence[Step], where: str, *,
            loop=UNSET, slots=(), listen_at_end: bool = True) -> list[str]:
    """Walk the steps as a conversation; at every action, the rules and forms must predict
    exactly that action, and a member may speak only when they predict listening."""
    tracker = Tracker("replay", domain)
    tracker.update(SessionStarted())
    _set_slots(tracker, slots)
    if loop not in (UNSET, None):
        tracker.update(ActiveLoop(loop))
    tracker.update(ActionExecuted(ACTION_LISTEN))
    for number, step in enumerate(steps, 1):
        at = f"{where}, step {number} ({step.kind} {step.name})"
        if step.kind == "intent":
            if tracker.latest_action_name != ACTION_LISTEN:
                predicted = policy.predict(tracker)
                if predicted != ACTION_LISTEN:
                    return [f"{at}: the rules run {predicted!r} before the member speaks"]
                tracker.update(ActionExecuted(ACTION_LISTEN))
            entities = [{"entity": name, "value": "x"} for name in step.entities]
            tracker.update(UserUttered(None, {"intent": {"name": step.name, "confidence": 1.0},
                                              "entities": entities}))
        else:
            predicted = policy.predict(tracker)
            form = tracker.active_loop_name
            if predicted == form != step.name and tracker.latest_action_name == ACTION_LISTEN:
                # The form sees the message first, and lets go of it only if it fills none
                # of the form's slots.
                if _form_slots_filled(tracker, form):
                    return [f"{at}: the form {form!r} takes this message"]
                tracker.update(ActionExecutionRejected(form))
                predicted = policy.predict(tracker)
            if predicted != step.name:
                return [f"{at}: the rules and forms predict {predicted!r} here"]
            tracker.update(ActionExecuted(step.name))
        _set_slots(tracker, step.slots)
        if step.active_loop is not UNSET:
            tracker.update(ActiveLoop(step.active_loop))
    if listen_at_end and steps and steps[-1].kind == "action":
        predicted = policy.predict(tracker)
        if predicted != ACTION_LISTEN:
            return [f"{where}, end: the rules go on with {predicted!r}"]
    return []


def _set_slots(tracker: Tracker, values) -> None:
    for name, value in values:
        tracker.update(SlotSet(name, True if value is IS_SET else value))


def _form_slots_filled(tracker: Tracker, form: str) -> bool:
    required = set(tracker.domain.forms[form])
    return any(e["event"] == "slot" and e["name"] in required
               for e in tracker.events_since_latest_user_message())


# --- NLU data -------------------------------------------------------------------------------


def check_nlu(domain: Domain, nlu_path: Path) -> list[str]:
    entries = (yaml.safe_load(nlu_path.read_text()) or {}).get("nlu") or ()
    trained = {entry["intent"] for entry in entries if "intent" in entry}
    problems = [f"nlu.yml: intent {name!r} is not in domain.yml"
                for name in sorted(trained - set(domain.intents))]
    problems += [f"nlu.yml: no examples for intent {name!r}"
                 for name in domain.intents if name not in trained]
    for entry in entries:
        for match in _ANNOTATED_ENTITY.finditer(entry.get("examples") or ""):
            entity = match.group(1) or match.group(2)
            if entity not in domain.entities:
                problems.append(f"nlu.yml: intent {entry.get('intent')!r} annotates unknown "
                                f"entity {entity!r}")
    return problems


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
