"""Card numbers typed into the chat: found, and removed before anything stores or logs them.

The bot never asks for card data, but members paste it anyway ("4242 4242 4242 4242 exp 12/28").
A run of digits counts as a card number when 13 to 19 of its digits, taken as whole groups
(members separate groups with a space, a dash, a dot or a line break), pass the Luhn check.
Checking every window of groups, not just the whole run, catches a card number followed by its
CVC.
"""

from __future__ import annotations

import re

CARD_PLACEHOLDER = "[card number removed]"

# Digit groups joined by one space, dash, dot or line break: "4242 4242-4242 4242",
# "4242.4242.4242.4242", "4242424242424242".
_DIGIT_RUN = re.compile(r"\d+(?:[\s.-]\d+)*")
_GROUP = re.compile(r"\d+")
_MIN_DIGITS, _MAX_DIGITS = 13, 19


def card_number_spans(text: str) -> list[tuple[int, int]]:
    """Spans of `text` holding a Luhn-valid 13–19 digit number, merged, in order."""
    spans: list[tuple[int, int]] = []
    for run in _DIGIT_RUN.finditer(text):
        groups = [(run.start() + m.start(), run.start() + m.end())
                  for m in _GROUP.finditer(run.group())]
        digits = "".join(text[start:end] for start, end in groups)
        if len(digits) >= _MIN_DIGITS:
            spans.extend(_card_spans_in_run(groups, _LuhnSums(digits)))
    return _merge(spans)


def _card_spans_in_run(groups: list[tuple[int, int]],
                       luhn: _LuhnSums) -> list[tuple[int, int]]:
    found = []
    first_digit = 0
    for first, (start, first_end) in enumerate(groups):
        last_digit = first_digit
        for last in range(first, len(groups)):
            last_digit += groups[last][1] - groups[last][0]
            length = last_digit - first_digit
            if length > _MAX_DIGITS:
                break
            if length >= _MIN_DIGITS and luhn.valid(first_digit, last_digit):
                found.append((start, groups[last][1]))
        group_length = first_end - start
        # A group longer than any card may still hide one: then the whole group goes.
        if group_length > _MAX_DIGITS and luhn.any_valid_window(first_digit, group_length):
            found.append((start, first_end))
        first_digit += group_length
    return found


class _LuhnSums:
    """Prefix sums that make the Luhn check of any window of `digits` O(1).

    Whether a digit is doubled depends on its distance from the window's last digit, so there
    are two prefix sums: one for windows ending on an even index, one for an odd one.
    """

    def __init__(self, digits: str):
        self._sums: tuple[list[int], list[int]] = ([0], [0])
        for index, char in enumerate(digits):
            value = int(char)  # any script's digits: `\d` matches them all
            doubled = value * 2 - 9 if value > 4 else value * 2
            for parity, sums in enumerate(self._sums):
                sums.append(sums[-1] + (doubled if (index + parity) % 2 else value))

    def valid(self, start: int, end: int) -> bool:
        sums = self._sums[(end - 1) % 2]
        return (sums[end] - sums[start]) % 10 == 0

    def any_valid_window(self, start: int, length: int) -> bool:
        return any(
            self.valid(s, s + size)
            for size in range(_MIN_DIGITS, _MAX_DIGITS + 1)
            for s in range(start, start + length - size + 1)
        )


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
