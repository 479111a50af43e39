"""Rules (data/rules.yml) and stories (data/stories.yml) in Rasa 3.x format, read into steps.

A step is a user message (by intent) or an action. `active_loop` and `slot_was_set` entries
describe the state right after the step before them; a rule's `condition` describes the state
before its first step.

A slot named without a value means what Rasa reads it as (read_as_rasa): a text slot set to
anything, a bool slot true, and any other slot *empty*: `slot_was_set: [pending_review]` on a
categorical slot says no review is pending, whatever its author meant.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from dialogs.engine.domain import Domain


class Marker(enum.Enum):
    UNSET = "not mentioned"  # the step says nothing about the active form
    IS_SET = "set to anything"  # `slot_was_set: [name]` without a value (see read_as_rasa)


UNSET = Marker.UNSET
IS_SET = Marker.IS_SET


class StoryFormatError(ValueError):
    """A rule or story uses something this engine does not support."""


@dataclass(frozen=True)
class Step:
    kind: str  # "intent" or "action"
    name: str
    entities: tuple[str, ...] = ()
    slots: tuple[tuple[str, Any], ...] = ()  # slot values right after the step
    active_loop: Any = UNSET  # the active form right after the step (None: no form)


@dataclass(frozen=True)
class Rule:
    name: str
    steps: tuple[Step, ...]
    condition_slots: tuple[tuple[str, Any], ...] = ()
    condition_loop: Any = UNSET
    conversation_start: bool = False
    wait_for_user_input: bool = True

    @property
    def condition_count(self) -> int:
        return len(self.condition_slots) + (self.condition_loop is not UNSET)


@dataclass(frozen=True)
class Story:
    name: str
    steps: tuple[Step, ...]


def load_rules(path: Path | str) -> list[Rule]:
    return [_rule(entry, str(path)) for entry in _read(path).get("rules") or ()]


def load_stories(path: Path | str) -> list[Story]:
    stories = []
    for entry in _read(path).get("stories") or ():
        where = f"{path}: story {entry.get('story')!r}"
        stories.append(Story(entry["story"], _steps(entry.get("steps") or (), where)))
    return stories


def _read(path: Path | str) -> dict:
    return yaml.safe_load(Path(path).read_text()) or {}


def _rule(entry: dict, path: str) -> Rule:
    where = f"{path}: rule {entry.get('rule')!r}"
    slots: list[tuple[str, Any]] = []
    loop = UNSET
    for condition in entry.get("condition") or ():
        if "active_loop" in condition:
            loop = condition["active_loop"]
        elif "slot_was_set" in condition:
            slots.extend(_slot_values(condition["slot_was_set"]))
        else:
            raise StoryFormatError(f"{where}: unsupported condition {condition}")
    steps = _steps(entry.get("steps") or (), where)
    if not steps:
        raise StoryFormatError(f"{where}: no steps")
    return Rule(
        name=entry["rule"],
        steps=steps,
        condition_slots=tuple(slots),
        condition_loop=loop,
        conversation_start=bool(entry.get("conversation_start", False)),
        wait_for_user_input=bool(entry.get("wait_for_user_input", True)),
    )


def _steps(raw_steps, where: str) -> tuple[Step, ...]:
    steps: list[Step] = []
    for raw in raw_steps:
        if "intent" in raw:
            entities = tuple(_entity_names(raw.get("entities") or ()))
            steps.append(Step("intent", raw["intent"], entities=entities))
        elif "action" in raw:
            steps.append(Step("action", raw["action"]))
        elif "active_loop" in raw or "slot_was_set" in raw:
            if not steps:
                raise StoryFormatError(f"{where}: {raw} before any step; use a condition")
            last = steps[-1]
            if "active_loop" in raw:
                steps[-1] = Step(last.kind, last.name, last.entities, last.slots,
                                 raw["active_loop"])
            else:
                steps[-1] = Step(last.kind, last.name, last.entities,
                                 last.slots + tuple(_slot_values(raw["slot_was_set"])),
                                 last.active_loop)
        else:
            raise StoryFormatError(f"{where}: unsupported step {raw}")
    return tuple(steps)


def _slot_values(entries) -> list[tuple[str, Any]]:
    """`- name` means "set to anything"; `- name: value` means that value."""
    values = []
    for entry in entries:
        if isinstance(entry, dict):
            values.extend(entry.items())
        else:
            values.append((entry, IS_SET))
    return values


def _entity_names(entries) -> list[str]:
    return [name for entry in entries
            for name in (entry if isinstance(entry, dict) else [entry])]


def name_only_value(domain: Domain, slot: str) -> Any:
    """What `slot_was_set: [slot]` (no value) stands for in Rasa: "filled" for a text slot, true
    for a bool slot, and for any other type no value at all (Rasa warns and reads it empty)."""
    spec = domain.slots.get(slot)
    kind = spec.type if spec is not None else "text"
    return {"text": IS_SET, "bool": True}.get(kind)


def read_as_rasa(domain: Domain, rules: Sequence[Rule]) -> list[Rule]:
    """The rules with every name-only slot replaced by the value Rasa reads in it."""
    return [replace(rule, condition_slots=_resolved(domain, rule.condition_slots),
                    steps=tuple(replace(step, slots=_resolved(domain, step.slots))
                                for step in rule.steps))
            for rule in rules]


def _resolved(domain: Domain, values: Iterable[tuple[str, Any]]) -> tuple[tuple[str, Any], ...]:
    return tuple((name, name_only_value(domain, name) if value is IS_SET else value)
                 for name, value in values)
