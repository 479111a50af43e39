"""What of a turn may be stored: sensitive slot values and the member message that carried
them become a marker. The turn itself runs on the real values, in memory only; with a `seal`
(dialogs.engine.sealing), a slot's value still set when the turn ends is also kept sealed for
the turns that follow."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from dialogs.engine.sealing import SEALED_KEY

REDACTED = "[redacted]"


def redact_for_storage(events: Sequence[dict], sensitive_slots: Iterable[str], *,
                       redact_text_of: dict | None = None,
                       seal: Callable[[Any], str] | None = None) -> list[dict]:
    """Copies of `events` safe to store; `redact_text_of` is the user event to hide."""
    sensitive = frozenset(sensitive_slots)
    stored = []
    for index, event in enumerate(events):
        if event is redact_text_of:
            event = _redacted_user_event(event)
        elif event["event"] == "slot" and event["name"] in sensitive \
                and event.get("value") is not None:
            redacted = {**event, "value": REDACTED}
            # Sealed only when a later turn can read it: a password checked and cleared in
            # the turn it was given in leaves no secret behind, sealed or not.
            if seal is not None and _outlives_turn(event["name"], events[index + 1:]):
                redacted[SEALED_KEY] = seal(event["value"])
            event = redacted
        stored.append(event)
    return stored


def _outlives_turn(slot: str, later: Sequence[dict]) -> bool:
    return not any(event["event"] in _RESETTING or (event["event"] == "slot"
                                                    and event["name"] == slot)
                   for event in later)


_RESETTING = frozenset({"reset_slots", "restart", "session_started"})


def _redacted_user_event(event: dict) -> dict:
    parse = dict(event.get("parse_data") or {})
    parse["text"] = REDACTED
    parse["entities"] = [{**entity, "value": REDACTED} for entity in parse.get("entities") or ()]
    return {**event, "text": REDACTED, "parse_data": parse}
