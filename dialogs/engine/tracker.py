"""A conversation's events and the state they add up to, as Rasa's tracker keeps them.

Events are Rasa's JSON events (the dicts `rasa_sdk.events` builds). Applying them gives the slots,
the active form ("loop"), the latest message and the latest action, and the history of turns the
rule policy matches rules against.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from dialogs.engine.domain import ACTION_LISTEN, Domain


@dataclass(frozen=True)
class HistoryStep:
    """A user message (by intent, with the names of its entities) or an action, with the
    state just before it."""

    kind: str  # "intent" or "action"
    name: str | None
    slots_before: dict[str, Any]
    loop_before: str | None
    entities: frozenset[str] = frozenset()


class Tracker:
    def __init__(self, sender_id: str, domain: Domain, events=()):
        self.sender_id = sender_id
        self.domain = domain
        self.events: list[dict] = []
        self._reset()
        for event in events:
            self.update(event)

    def update(self, event: dict) -> None:
        self.events.append(event)
        if event["event"] in ("rewind", "undo"):
            self._reset()
            for applied in self.applied_events():
                self._apply(applied)
        else:
            self._apply(event)

    def extended(self, events) -> Tracker:
        """A copy with more events: what a form shows its validation action."""
        clone = copy.copy(self)
        clone.events = list(self.events)
        clone.slots = dict(self.slots)
        clone.active_loop = dict(self.active_loop) if self.active_loop else None
        clone.history = list(self.history)
        for event in events:
            clone.update(event)
        return clone

    # --- state ------------------------------------------------------------------------------

    @property
    def active_loop_name(self) -> str | None:
        return self.active_loop["name"] if self.active_loop else None

    @property
    def loop_rejected(self) -> bool:
        return bool(self.active_loop and self.active_loop["rejected"])

    @property
    def latest_intent(self) -> str | None:
        return (self.latest_message.get("intent") or {}).get("name")

    def events_since_latest_user_message(self) -> list[dict]:
        for index in range(len(self.events) - 1, -1, -1):
            if self.events[index]["event"] == "user":
                return self.events[index + 1:]
        return list(self.events)

    def applied_events(self) -> list[dict]:
        """Events minus those undone by `restart`, `undo` and `rewind`, as Rasa counts them."""
        applied: list[dict] = []
        for event in self.events:
            kind = event["event"]
            if kind == "restart":
                applied = []
            elif kind == "undo":
                _drop_back_to(applied, "action")
            elif kind == "rewind":
                _drop_back_to(applied, "user")
                _drop_back_to(applied, "action")
            else:
                applied.append(event)
        return applied

    def current_state(self) -> dict:
        """The tracker as a rasa-sdk action call carries it."""
        loop = {}
        if self.active_loop:
            loop = {"name": self.active_loop["name"], "validate": True,
                    "rejected": self.active_loop["rejected"], "trigger_message": {}}
        return {
            "sender_id": self.sender_id,
            "slots": dict(self.slots),
            "latest_message": self.latest_message,
            "latest_event_time": self.events[-1].get("timestamp") if self.events else None,
            "followup_action": self.followup_action,
            "paused": self.paused,
            "events": list(self.events),
            "latest_input_channel": self.latest_input_channel,
            "active_loop": loop,
            "latest_action": {"action_name": self.latest_action_name},
            "latest_action_name": self.latest_action_name,
        }

    # --- applying events --------------------------------------------------------------------

    def _reset(self) -> None:
        self.slots: dict[str, Any] = self.domain.initial_slots()
        self.active_loop: dict | None = None
        self.latest_message: dict = {}
        self.latest_input_channel: str | None = None
        self.latest_action_name: str | None = None
        self.followup_action: str | None = None
        self.paused = False
        self.history: list[HistoryStep] = []

    def _apply(self, event: dict) -> None:
        kind = event["event"]
        if kind == "user":
            parse = event.get("parse_data") or {}
            self._step("intent", (parse.get("intent") or {}).get("name"),
                       frozenset(e.get("entity") for e in parse.get("entities") or ()))
            self.latest_message = {**event.get("parse_data", {}), "text": event.get("text"),
                                   "metadata": event.get("metadata") or {}}
            self.latest_input_channel = event.get("input_channel")
            self.followup_action = None
            if self.active_loop:
                self.active_loop["rejected"] = False
        elif kind == "action":
            name = event["name"]
            if name != ACTION_LISTEN:
                self._step("action", name)
            self.latest_action_name = name
            self.followup_action = None
            if self.active_loop and self.active_loop["name"] == name:
                self.active_loop["rejected"] = False
        elif kind == "slot":
            self._set_slot(event["name"], event.get("value"))
        elif kind == "active_loop":
            name = event.get("name")
            self.active_loop = {"name": name, "rejected": False} if name else None
        elif kind == "action_execution_rejected":
            if self.active_loop and self.active_loop["name"] == event.get("name"):
                self.active_loop["rejected"] = True
        elif kind == "followup":
            self.followup_action = event["name"]
        elif kind == "reset_slots":
            self.slots = self.domain.initial_slots()
        elif kind in ("session_started", "restart"):
            self._reset()
        elif kind == "pause":
            self.paused = True
        elif kind == "resume":
            self.paused = False

    def _step(self, kind: str, name: str | None, entities: frozenset[str] = frozenset()) -> None:
        self.history.append(HistoryStep(kind, name, dict(self.slots), self.active_loop_name,
                                        entities))

    def _set_slot(self, name: str, value: Any) -> None:
        slot = self.domain.slots.get(name)
        # As Rasa's ListSlot does: a single value set on a list slot becomes a one-item list.
        if slot is not None and slot.type == "list" and value is not None \
                and not isinstance(value, list):
            value = [value]
        self.slots[name] = value


def _drop_back_to(events: list[dict], kind: str) -> None:
    while events:
        if events.pop()["event"] == kind:
            return
