"""Card numbers typed into the chat: found, and removed before anything stores or logs them.

The bot never asks for card data, but members paste it anyway ("4242 4242 4242 4242 exp 12/28").
A run of digits counts as a card number when 13 to 19 of its digits, taken as whole groups
(members separate groups with single spaces or dashes), pass the Luhn check. Checking every
window of groups, not just the whole run, catches a card number followed by its CVC.
"""

from __future__ import annotations

import re

CARD_PLACEHOLDER = "[card number removed]"

# Digit groups joined by at most one space or dash: "4242 4242-4242 4242", "4242424242424242".
_DIGIT_RUN = re.compile(r"\d+(?:[ -]\d+)*")
_GROUP = re.compile(r"\d+")
_MIN_DIGITS, _MAX_DIGITS = 13, 19


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def card_number_spans(text: str) -> list[tuple[int, int]]:
    """Spans of `text` holding a Luhn-valid 13–19 digit number, merged, in order."""
    spans: list[tuple[int, int]] = []
    for run in _DIGIT_RUN.finditer(text):
        if sum(c.isdigit() for c in run.group()) < _MIN_DIGITS:
            continue
        spans.extend(_card_spans_in_run(run.group(), run.start()))
    return _merge(spans)


def _card_spans_in_run(run: str, offset: int) -> list[tuple[int, int]]:
    groups = [(m.start(), m.end()) for m in _GROUP.finditer(run)]
    found = []
    for first, (start, _) in enumerate(groups):
        digits = ""
        for last in range(first, len(groups)):
            digits += run[groups[last][0]:groups[last][1]]
            if len(digits) > _MAX_DIGITS:
                break
            if len(digits) >= _MIN_DIGITS and luhn_valid(digits):
                found.append((offset + start, offset + groups[last][1]))
        if groups[first][1] - start > _MAX_DIGITS:
            found.extend(_card_spans_in_long_group(run[start:groups[first][1]], offset + start))
    return found


def _card_spans_in_long_group(digits: str, offset: int) -> list[tuple[int, int]]:
    """A group longer than any card may still hide one: redact the whole group if so."""
    for length in range(_MIN_DIGITS, _MAX_DIGITS + 1):
        for start in range(len(digits) - length + 1):
            if luhn_valid(digits[start:start + length]):
                return [(offset, offset + len(digits))]
    return []


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def contains_card_number(text: str) -> bool:
    return bool(card_number_spans(text or ""))


def redact_card_numbers(text: str) -> str:
    """`text` with every card number replaced by "[card number removed]"."""
    text = text or ""
    spans = card_number_spans(text)
    if not spans:
        return text
    pieces, cursor = [], 0
    for start, end in spans:
        pieces.append(text[cursor:start])
        pieces.append(CARD_PLACEHOLDER)
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)
