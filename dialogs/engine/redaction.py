"""What of a turn may be stored: sensitive slot values and the member message that carried
them become a marker. The turn itself runs on the real values, in memory only; with a `seal`
(dialogs.engine.sealing), a slot's value still set when the turn ends is also kept sealed for
the turns that follow.

A reply at a credential prompt (the domain's `credential_prompts`: the username before the
password, the question chooser before a security answer) that was not taken as the answer may
be the secret typed a step early. It is hidden like a secret answer, unless it was understood as
a request ("whats my balance", "log in") and does not look like a password. An answer that was
taken, but then refused with the secret after it (a log-in that failed: the form asks for the
username again), was not used as that credential either: the stored message that gave it, and
the slot values it set, are redacted in place at that turn."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from dialogs.engine.sealing import SEALED_KEY

REDACTED = "[redacted]"


def redact_for_storage(events: Sequence[dict], sensitive_slots: Iterable[str], *,
                       redact_text_of: dict | None = None,
                       seal: Callable[[Any], str] | None = None,
                       withheld_slots: Iterable[str] = ()) -> list[dict]:
    """Copies of `events` safe to store; `redact_text_of` is the user event to hide, and
    `withheld_slots` the slots that took their value from it without keeping it."""
    sensitive = frozenset(sensitive_slots)
    withheld = frozenset(withheld_slots)
    stored = []
    for index, event in enumerate(events):
        if event is redact_text_of:
            event = _redacted_user_event(event)
        elif event["event"] == "slot" and event["name"] in withheld \
                and event.get("value") is not None:
            event = {**event, "value": REDACTED}
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


# Not understood as a request: what a stray password is read as, at best.
_NOT_A_REQUEST = frozenset({None, "nlu_fallback", "inform", "out_of_scope"})
_WORD_PUNCTUATION = re.compile(r"[\w.,!?'’\"]+")


def unaccepted_at_prompt(user_event: dict, turn_events: Sequence[dict], requested: str | None,
                         credential_prompts: Iterable[str], *, payload: bool) -> bool:
    """Whether the member's message, a reply at the credential prompt `requested`, is to be
    hidden: it was not taken as the answer (the slot is not set when the turn ends), and either
    was not understood as a request or looks like a password."""
    if payload or requested is None or requested not in frozenset(credential_prompts):
        return False
    if _answered(requested, turn_events):
        return False
    intent = ((user_event.get("parse_data") or {}).get("intent") or {}).get("name")
    return intent in _NOT_A_REQUEST or looks_like_a_password(user_event.get("text") or "")


def looks_like_a_password(text: str) -> bool:
    """One word with letters and digits in it, or symbols no sentence has ("hunter2",
    "Quiet-Lantern-Harbor-77", "p@ss"); "log in", "help!" and "whats my balance" do not."""
    word = text.strip()
    if not word or any(char.isspace() for char in word):
        return False
    has_letter = any(char.isalpha() for char in word)
    has_digit = any(char.isdigit() for char in word)
    return (has_letter and has_digit) or not _WORD_PUNCTUATION.fullmatch(word)


def _answered(slot: str, turn_events: Sequence[dict]) -> bool:
    values = [event.get("value") for event in turn_events
              if event["event"] == "slot" and event["name"] == slot]
    return bool(values) and values[-1] is not None


def clears_prompt(turn_events: Sequence[dict], prompt: str) -> bool:
    """This turn cleared the slot `prompt` (its form refused the answer and asks again): only
    then can an earlier answer there have been refused, so only then is the stored session
    worth decoding (tests/unit/test_credential_prompts.py)."""
    return any(event["event"] == "slot" and event["name"] == prompt
               and event.get("value") is None for event in turn_events)


def refused_answer(stored: Sequence[dict], turn_events: Sequence[dict], asked_again: str | None,
                   credential_prompts: Iterable[str], sensitive_slots: Iterable[str] = (), *,
                   seal: Callable[[Any], str] | None = None) -> dict[int, dict]:
    """When this turn cleared the prompt `asked_again` and its form asks it again, the stored
    events of the earlier credential answer, redacted: the user message that gave it and the
    slot values it set, by index in `stored` (the session as stored before this turn).

    `asked_again` is a credential prompt (the username asked again), or a secret refused right
    after a credential was given (a failed log-in asks the password again and keeps the
    username, which may have been the password typed a step early). A credential the form
    still needs then is kept sealed (`seal`), as a sensitive answer is."""
    credentials = frozenset(credential_prompts)
    if asked_again is None or asked_again not in credentials | frozenset(sensitive_slots):
        return {}
    if not clears_prompt(turn_events, asked_again):
        return {}
    # The answer is the member's previous message, the one right before this turn's.
    answer_at = next((index for index in range(len(stored) - 1, -1, -1)
                      if stored[index]["event"] == "user"), None)
    if answer_at is None:
        return {}
    given = [event["name"] for event in stored[answer_at:] if event["event"] == "slot"
             and event["name"] in credentials and event.get("value") not in (None, REDACTED)]
    if asked_again in credentials:
        given = [name for name in given if name == asked_again]
    if not given:
        return {}
    replaced = {answer_at: _redacted_user_event(stored[answer_at])}
    for index in range(answer_at + 1, len(stored)):
        event = stored[index]
        if event["event"] == "user":
            break
        if event["event"] == "slot" and event["name"] in given \
                and event.get("value") is not None:
            kept = asked_again not in credentials
            if kept and seal is None:
                continue  # nothing can keep it safely for the form: it stays as it was
            replaced[index] = {**event, "value": REDACTED}
            if kept:
                replaced[index][SEALED_KEY] = seal(event["value"])
    return replaced
