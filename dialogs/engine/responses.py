"""Responses from the domain: a variation picked at random (seedable), conditional variations
for the member's language and other slots, `{name}` templates filled from slots and values
an action passes, and buttons."""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from typing import Any

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class ResponseGenerator:
    def __init__(self, responses: Mapping[str, list[dict]], *, hidden_slots=frozenset(),
                 rng: random.Random | None = None):
        self._responses = responses
        self._hidden_slots = frozenset(hidden_slots)  # sensitive: never put into a message
        self._rng = rng or random.Random()

    def render(self, name: str, slots: Mapping[str, Any], **values: Any) -> dict | None:
        """The message for response `name`: text, buttons, custom and image; None if the
        domain has no variation for it."""
        candidates = self._variations(name, slots)
        if not candidates:
            return None
        chosen = self._rng.choice(candidates)
        filling = {k: v for k, v in slots.items() if k not in self._hidden_slots} | values
        return {
            "text": _fill(chosen.get("text"), filling),
            "buttons": [
                {"title": _fill(button["title"], filling),
                 "payload": _fill(button["payload"], filling)}
                for button in chosen.get("buttons") or ()
            ],
            "custom": _fill(chosen.get("custom"), filling),
            "image": chosen.get("image"),
        }

    def _variations(self, name: str, slots: Mapping[str, Any]) -> list[dict]:
        # As Rasa does: variations whose conditions all hold come first; the unconditional
        # ones are the default.
        variations = self._responses.get(name) or []
        conditional = [v for v in variations if v.get("condition")
                       and all(_holds(c, slots) for c in v["condition"])]
        return conditional or [v for v in variations if not v.get("condition")]


def _holds(condition: dict, slots: Mapping[str, Any]) -> bool:
    return condition.get("type") == "slot" and slots.get(condition["name"]) == condition["value"]


def _fill(template: Any, values: Mapping[str, Any]) -> Any:
    """Fill `{name}` placeholders; unknown names are left as they are, as Rasa leaves them."""
    if isinstance(template, str):
        return _PLACEHOLDER.sub(
            lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), template)
    if isinstance(template, list):
        return [_fill(item, values) for item in template]
    if isinstance(template, dict):
        return {key: _fill(item, values) for key, item in template.items()}
    return template
