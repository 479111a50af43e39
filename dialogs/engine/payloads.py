"""Button payloads: `/intent` or `/intent{"entity": "value"}` is understood without the NLU, as
Rasa does. Only intents of the domain count; anything else is ordinary text."""

from __future__ import annotations

import json
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
            for item in value if isinstance(value, list) else [value]:
                entities.append({"entity": name, "value": item, "start": start, "end": end})
    intent = {"name": match["intent"], "confidence": 1.0}
    return {"text": text, "intent": intent, "intent_ranking": [intent], "entities": entities}
