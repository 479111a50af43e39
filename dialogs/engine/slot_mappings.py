"""Filling slots from a member's message, by the slot mappings in the domain (what Rasa's
`action_extract_slots` does after every message). Free text fills the answer asked for only when
it reads as an answer (dialogs/engine/prompt_answers.py), not as a question or a request."""

from __future__ import annotations

from typing import Any

from rasa_sdk.events import SlotSet

from dialogs.engine.domain import REQUESTED_SLOT, Domain, Slot
from dialogs.engine.payloads import parse_payload
from dialogs.engine.prompt_answers import PromptRules
from dialogs.engine.tracker import Tracker


def extract_slots(domain: Domain, tracker: Tracker,
                  prompts: PromptRules | None = None) -> list[dict]:
    """SlotSet events for every slot a mapping fills from the latest message; a slot's first
    mapping that yields a value wins."""
    message = tracker.latest_message
    intent = tracker.latest_intent
    # A button is never an answer typed as text, not even a password: "I forgot my password"
    # tapped at the password prompt is that request.
    typed_as_payload = parse_payload(message.get("text") or "", domain.intents) is not None
    events = []
    for slot in domain.slots.values():
        for mapping in slot.mappings:
            if not (_conditions_hold(mapping, tracker) and _intent_allowed(mapping, intent)):
                continue
            if mapping["type"] == "from_text" and (
                    typed_as_payload or prompts is not None and not prompts.takes_text(
                        slot.name, message, secret=slot.name in domain.sensitive_slots)):
                continue
            value = _value(mapping, slot, message)
            if mapping["type"] == "from_text" and prompts is not None and value is not None:
                value = prompts.answer_part(slot.name, value)
            if value is not None:
                events.append(SlotSet(slot.name, value))
                break
    return events


def _conditions_hold(mapping: dict, tracker: Tracker) -> bool:
    conditions = mapping.get("conditions")
    if not conditions:
        return True
    return any(
        condition.get("active_loop") == tracker.active_loop_name
        and ("requested_slot" not in condition
             or condition["requested_slot"] == tracker.slots.get(REQUESTED_SLOT))
        for condition in conditions
    )


def _intent_allowed(mapping: dict, intent: str | None) -> bool:
    wanted = _as_list(mapping.get("intent"))
    if wanted and intent not in wanted:
        return False
    return intent not in _as_list(mapping.get("not_intent"))


def _value(mapping: dict, slot: Slot, message: dict) -> Any:
    kind = mapping["type"]
    if kind == "from_text":
        return message.get("text")
    if kind == "from_intent":
        return mapping.get("value")
    if kind == "from_entity":
        values = [
            entity.get("value") for entity in message.get("entities") or ()
            if entity.get("entity") == mapping["entity"]
            and entity.get("role") == mapping.get("role")
            and entity.get("group") == mapping.get("group")
        ]
        if slot.type == "list":
            return values or None
        return values[0] if len(values) == 1 else (values or None)
    return None  # "custom": filled by actions


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
