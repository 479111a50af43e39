"""Button payloads: `/intent` or `/intent{"entity": "value"}` is understood without the NLU, as
Rasa does. Only intents of the domain count; anything else is ordinary text.

Anyone can type a payload, so its entity values are checked here, before any action sees
them: a string or a number (or a list of those, one entity each), nothing else. A payload with
any other value (an object, a nested list, null, true) is not a payload but ordinary text.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Container

_PAYLOAD = re.compile(r"^/(?P<intent>\w+)(?P<entities>\{.*\})?$", re.DOTALL)


def parse_payload(text: str, intents: Container[str]) -> dict | None:
    """The message in Rasa's parse format, or None when `text` is not a payload."""
    match = _PAYLOAD.match(text.strip())
    if not match or match["intent"] not in intents:
        return None
    entities = []
    if match["entities"]:
        try:
            values = json.loads(match["entities"])
        except json.JSONDecodeError:
            return None
        if not isinstance(values, dict):
            return None
        start, end = match.span("entities")
        for name, value in values.items():
            items = value if isinstance(value, list) else [value]
            if not all(_is_entity_value(item) for item in items):
                return None
            entities.extend({"entity": name, "value": item, "start": start, "end": end}
                            for item in items)
    intent = {"name": match["intent"], "confidence": 1.0}
    return {"text": text, "intent": intent, "intent_ranking": [intent], "entities": entities}


def _is_entity_value(value: object) -> bool:
    if isinstance(value, bool):  # a bool is an int to Python, not a value a slot takes here
        return False
    if isinstance(value, float):
        return math.isfinite(value)  # json.loads reads NaN and Infinity
    return isinstance(value, str | int)
