"""What a message does to the member's language before it is understood.

- An explicit choice ("español", "English", a tap on a language button) sets the language and
  is the whole turn: HealthPay says so in the new language and asks an open form's question
  again. `/language` or `/idioma` shows the languages offered.
- Telegram's `language_code`, on the first message of a chat, sets the language if we have it.
- A message long enough to tell, clearly in another language we have, switches to it.

Nothing is decided at a secret prompt (password, SSN, security answer): what is typed there
is the answer, and it is never handed to the detector.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from rasa_sdk.events import SlotSet

from dialogs.engine.domain import REQUESTED_SLOT
from dialogs.engine.languages import (
    CHOOSE_LANGUAGE_RESPONSE,
    LANGUAGE_SLOT,
    LanguageChooser,
)
from dialogs.engine.nlu.redaction import contains_secret
from dialogs.engine.tracker import Tracker

# Says the choice back and keeps it on the account (dialogs/actions/language.py).
CHOOSE_LANGUAGE_ACTION = "action_choose_language"
# The parse stored for a message that only chose a language: not an intent of the domain.
CHOICE_PARSE = {"intent": {"name": None, "confidence": 1.0}, "entities": []}


@dataclass(frozen=True)
class LanguageStep:
    events: tuple[dict, ...] = ()  # slot events to apply before anything else
    replies: tuple[str, ...] = ()  # when not empty, the message is answered by these alone


def language_step(chooser: LanguageChooser, tracker: Tracker, text: str, metadata: dict,
                  sensitive_slots: Collection[str]) -> LanguageStep:
    requested = tracker.slots.get(REQUESTED_SLOT) if tracker.active_loop_name else None
    if requested in sensitive_slots or contains_secret(text):
        return LanguageStep()
    current = tracker.slots.get(LANGUAGE_SLOT)
    reask = (tracker.active_loop_name,) if tracker.active_loop_name else ()
    if chooser.asks_for_menu(text):
        return LanguageStep(replies=(CHOOSE_LANGUAGE_RESPONSE, *reask))
    chosen = chooser.explicit_choice(text)
    if chosen is not None:
        return LanguageStep(events=(SlotSet(LANGUAGE_SLOT, chosen),),
                            replies=(CHOOSE_LANGUAGE_ACTION, *reask))
    found = None
    # First contact: no message yet, and no language carried over from an earlier session.
    if not any(event.get("event") == "user" or (event.get("event") == "slot"
                                                and event.get("name") == LANGUAGE_SLOT)
               for event in tracker.events):
        found = chooser.from_language_code(metadata.get("language_code"))
    found = chooser.detect(text) or found
    if found is not None and found != current:
        return LanguageStep(events=(SlotSet(LANGUAGE_SLOT, found),))
    return LanguageStep()
