"""What to do next: Rasa's rule policy with forms, for the rules in data/rules.yml.

In order: a follow-up action an action asked for; the active form, while it is taking the
member's answers (its "happy path"); otherwise the rule whose steps match the end of the
conversation best (longest match, then most conditions, then first in the file); otherwise, right
after a member's message, the fallback, and after an action, listening. When the rules have
handled a message the active form rejected and have nothing more to do, the form runs again and
asks its question again: a question asked at a prompt is answered and the prompt comes back.

Slot conditions are read as Rasa reads them (stories.read_as_rasa): a categorical slot named
without a value is empty. A rule's intent step that names entities matches only a message that
has them, and each counts as a condition: "when is it due" with a `faq_topic` entity follows
the rule for the question, not the rule for the bare intent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dialogs.engine.domain import ACTION_DEFAULT_FALLBACK, ACTION_LISTEN, Domain
from dialogs.engine.stories import IS_SET, UNSET, Rule, Step, read_as_rasa
from dialogs.engine.tracker import HistoryStep, Tracker


@dataclass(frozen=True)
class _Candidate:
    """A rule's first `length` steps, and the action they predict next."""

    rank: tuple[int, int, int]  # longest match, then most conditions, then first in the file
    rule: Rule
    prefix: tuple[Step, ...]
    action: str


class RulePolicy:
    def __init__(self, domain: Domain, rules: Sequence[Rule]):
        self._domain = domain
        # Every candidate ends with the step that must match the conversation's latest one:
        # keyed by that step and best first, a prediction looks at a few instead of all.
        self._candidates: dict[tuple[str, str], list[_Candidate]] = defaultdict(list)
        for index, rule in enumerate(read_as_rasa(domain, rules)):
            for length, action in _predictions(rule):
                prefix = rule.steps[:length]
                rank = (length, rule.condition_count + _entity_count(prefix), -index)
                last = prefix[-1]
                self._candidates[(last.kind, last.name)].append(
                    _Candidate(rank, rule, prefix, action))
        for candidates in self._candidates.values():
            candidates.sort(key=lambda candidate: candidate.rank, reverse=True)

    def predict(self, tracker: Tracker) -> str:
        if tracker.followup_action:
            return tracker.followup_action
        if tracker.paused:
            return ACTION_LISTEN
        loop = tracker.active_loop_name
        if loop and not tracker.loop_rejected:
            return ACTION_LISTEN if tracker.latest_action_name == loop else loop
        predicted = self.rule_prediction(tracker)
        after_action = tracker.latest_action_name not in (ACTION_LISTEN, loop)
        if loop and after_action and predicted in (None, ACTION_LISTEN):
            # The rules have handled what the form could not use (answered a question, showed
            # the menu): back to the form, which asks its question again.
            return loop
        if predicted is not None:
            return predicted
        return ACTION_DEFAULT_FALLBACK if tracker.latest_action_name == ACTION_LISTEN \
            else ACTION_LISTEN

    def rule_prediction(self, tracker: Tracker) -> str | None:
        history = tracker.history
        if not history:
            return None
        latest = history[-1]
        for candidate in self._candidates.get((latest.kind, latest.name), ()):
            length, rule = len(candidate.prefix), candidate.rule
            if length > len(history) or (rule.conversation_start and length != len(history)):
                continue
            if self._matches(rule, candidate.prefix, history, tracker):
                return candidate.action
        return None

    def _matches(self, rule: Rule, prefix: Sequence[Step], history: list[HistoryStep],
                 tracker: Tracker) -> bool:
        start = len(history) - len(prefix)
        first = history[start]
        if rule.condition_loop is not UNSET and first.loop_before != rule.condition_loop:
            return False
        if not self._slots_match(rule.condition_slots, first.slots_before):
            return False
        for offset, step in enumerate(prefix):
            done = history[start + offset]
            if step.kind != done.kind or step.name != done.name:
                return False
            if not set(step.entities) <= done.entities:
                return False
            after = history[start + offset + 1] if start + offset + 1 < len(history) else None
            slots_after = after.slots_before if after else tracker.slots
            loop_after = after.loop_before if after else tracker.active_loop_name
            if step.active_loop is not UNSET and step.active_loop != loop_after:
                return False
            if not self._slots_match(step.slots, slots_after):
                return False
        return True

    def _slots_match(self, expected: Sequence[tuple[str, Any]], actual: dict) -> bool:
        return all(self._slot_matches(name, value, actual.get(name)) for name, value in expected)

    def _slot_matches(self, name: str, expected: Any, actual: Any) -> bool:
        if expected is IS_SET:
            return actual is not None
        slot = self._domain.slots.get(name)
        # As Rasa featurizes slots: bool, categorical and float by value, the others by
        # whether they are set at all.
        if slot is not None and slot.type in ("bool", "categorical", "float"):
            return actual == expected
        return (actual is None) == (expected is None)


def _entity_count(steps: Sequence[Step]) -> int:
    return sum(len(step.entities) for step in steps)


def _predictions(rule: Rule):
    """(length of the matched prefix, the action it predicts) for every action in the rule,
    and listening once the whole rule has run."""
    for position, step in enumerate(rule.steps):
        if step.kind == "action" and position > 0:
            yield position, step.name
    if rule.wait_for_user_input and rule.steps[-1].kind == "action":
        yield len(rule.steps), ACTION_LISTEN
