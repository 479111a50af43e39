"""Card numbers and SSNs typed into the chat: found, and removed before anything stores or logs
them. One detector serves the engine, the NLU, the logs, support transcripts and the Telegram
channel, so what one of them catches all of them catch.

Card numbers. The bot never asks for card data, but members paste it anyway ("4242 4242 4242
4242 exp 12/28 cvc 123"). Digits come in groups, and members put anything between the groups:
one or more spaces, dashes of every kind, dots, slashes, underscores, commas ("4242 - 4242",
"4242/4242", "4242__4242"). A run of groups counts as a card number when 13 to 19 of its digits,
taken as whole groups, pass the Luhn check; every group but the window's last has at least three
digits, as every card layout does (4-4-4-4, 4-6-5...), which keeps lists of amounts ("120.50,
130.25") from adding up to a card. Checking every window of groups, not just the whole run,
catches a card number with its expiry or CVC around it. What goes with the number: up to three
short groups right after it in the same run (an expiry, "12/28", and a CVC, "123"), and anywhere
in the message an expiry or CVC named as one ("exp 12/28", "cvv: 123").

SSNs. Nine digits count as a Social Security number when they are SSN-shaped and in the ranges
the SSA assigns (area not 000, 666 or 9xx; group not 00; serial not 0000): grouped 3-2-4 ("555 12
3456", "555-12-3456"), or grouped any way, bare included ("555123456"), in a message that names an
SSN ("ssn", "social", "soc sec"). Amounts, phone numbers (3-3-4), member ids (12 digits), dates
and payment references (HC-7K3M-9Q2D) do not have that shape.

Every pattern here is matched in linear time: digits and separators are disjoint character
classes, and each window of groups is checked in constant time with prefix sums.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CARD_PLACEHOLDER = "[card number removed]"
CARD_DETAILS_PLACEHOLDER = "[card details removed]"
SSN_PLACEHOLDER = "[ssn removed]"

# What members put between digit groups: white space (zero-width spaces too), every dash, dots,
# slashes, underscores, commas, bars. Never a digit, so a run of them cannot backtrack into one.
_SPACES_AND_DASHES = r"\s\u200b-\u200d\u2060\ufeff\-\u2010-\u2015\u2212\ufe58\ufe63\uff0d"
_SEPARATOR = rf"[{_SPACES_AND_DASHES}.\u00b7\u2022\u2024/\\_,|]"
_DIGIT_RUN = re.compile(rf"\d+(?:{_SEPARATOR}+\d+)*")
_GROUP = re.compile(r"\d+")
_MIN_DIGITS, _MAX_DIGITS = 13, 19
_MIN_INNER_GROUP = 3  # digits in every group of a card but its last
_TRAILING_DETAILS = 3  # short groups after a card number taken with it: expiry month, year, CVC
_DETAIL_DIGITS = 4
# An expiry or a CVC named as one. Bounded repeats only: linear time.
_LABELLED_DETAILS = re.compile(
    r"(?i)(?<![a-z])(?:exp[a-z]*(?:\s{0,3}date)?|valid\s{0,3}(?:thru|through|until|to)"
    r"|good\s{0,3}thru|cvc2?|cvv2?|cid|csc|security\s{0,3}code)(?![a-z])"
    r"(?:\s{0,3}(?:is|was|:|=|#|no\.?|number)){0,2}[\s:=#.-]{0,4}"
    r"(?:\d{1,2}\s{0,2}[/\-.]\s{0,2}(?:\d{4}|\d{2})|\d{3,4})(?!\d)")

# SSNs: groups joined by at most three spaces, dashes or dots ("555 - 12 - 3456"). Slashes and
# commas are not: "100, 20, 3000" is a list of amounts, "12/05/2026" a date.
_SSN_SEPARATOR = rf"[{_SPACES_AND_DASHES}.]"
_SSN_RUN = re.compile(rf"\d+(?:{_SSN_SEPARATOR}{{1,3}}\d+)*")
_SSN_CUE = re.compile(r"(?i)(?<![a-z])(?:ssns?|ss\s?#|ss\s?no|social|soc\.?\s?sec)(?![a-z])")
_CURRENCY = frozenset("$€£¢¥")


@dataclass(frozen=True)
class Found:
    """The secrets in a text: where each is, and which kinds were there."""

    spans: list[tuple[int, int, str]]  # start, end, placeholder; in order, not overlapping

    @property
    def card_number(self) -> bool:
        return any(placeholder == CARD_PLACEHOLDER for *_, placeholder in self.spans)

    @property
    def ssn(self) -> bool:
        return any(placeholder == SSN_PLACEHOLDER for *_, placeholder in self.spans)

    def __bool__(self) -> bool:
        return self.card_number or self.ssn


def find_secrets(text: str) -> Found:
    """The card numbers (with the expiry and CVC typed with them) and SSNs in `text`."""
    text = text or ""
    cards = _card_spans(text)
    spans = cards + [(start, end, SSN_PLACEHOLDER) for start, end in ssn_spans(text)
                     if not any(s < end and start < e for s, e, _ in cards)]
    return Found(sorted(spans))


def redact_secrets(text: str) -> str:
    """`text` with every card number, card detail and SSN replaced by a placeholder."""
    text = text or ""
    return _replace(text, find_secrets(text).spans)


def contains_secret(text: str) -> bool:
    """A card number or an SSN: the message is deleted from the chat."""
    return bool(find_secrets(text or ""))


# --- card numbers ---------------------------------------------------------------------------


def card_number_spans(text: str) -> list[tuple[int, int]]:
    """Spans of `text` holding a card number, or the expiry and CVC typed with one; merged,
    in order."""
    return [(start, end) for start, end, _ in _card_spans(text or "")]


def _card_spans(text: str) -> list[tuple[int, int, str]]:
    """Card numbers, with the card details next to them, as one span each; card details
    elsewhere in a message with a card number, as spans of their own."""
    numbers: list[tuple[int, int]] = []
    for run in _DIGIT_RUN.finditer(text):
        groups = [(run.start() + m.start(), run.start() + m.end())
                  for m in _GROUP.finditer(run.group())]
        digits = "".join(text[start:end] for start, end in groups)
        if len(digits) >= _MIN_DIGITS:
            numbers.extend(_card_spans_in_run(groups, _LuhnSums(digits)))
    if not numbers:
        return []
    details = [match.span() for match in _LABELLED_DETAILS.finditer(text)]
    merged: list[list] = []  # [start, end, has a card number]
    for start, end, is_number in sorted([(s, e, True) for s, e in numbers]
                                        + [(s, e, False) for s, e in details]):
        if merged and _only_separators(text, merged[-1][1], start):
            merged[-1][1] = max(end, merged[-1][1])
            merged[-1][2] = merged[-1][2] or is_number
        else:
            merged.append([start, end, is_number])
    return [(start, end, CARD_PLACEHOLDER if is_number else CARD_DETAILS_PLACEHOLDER)
            for start, end, is_number in merged]


def _card_spans_in_run(groups: list[tuple[int, int]],
                       luhn: _LuhnSums) -> list[tuple[int, int]]:
    found = []
    first_digit = 0
    for first, (start, first_end) in enumerate(groups):
        last_digit = first_digit
        for last in range(first, len(groups)):
            size = groups[last][1] - groups[last][0]
            last_digit += size
            length = last_digit - first_digit
            if length > _MAX_DIGITS:
                break
            if length >= _MIN_DIGITS and luhn.valid(first_digit, last_digit):
                found.append((start, _with_trailing_details(groups, last)))
            if size < _MIN_INNER_GROUP:
                break  # a short group can only end a card number
        group_length = first_end - start
        # A group longer than any card may still hide one: then the whole group goes.
        if group_length > _MAX_DIGITS and luhn.any_valid_window(first_digit, group_length):
            found.append((start, _with_trailing_details(groups, first)))
        first_digit += group_length
    return found


def _with_trailing_details(groups: list[tuple[int, int]], last: int) -> int:
    """Where a card number ending with group `last` ends once the short groups typed right
    after it (expiry, CVC) are taken too."""
    end = groups[last][1]
    for start, group_end in groups[last + 1:last + 1 + _TRAILING_DETAILS]:
        if group_end - start > _DETAIL_DIGITS:
            break
        end = group_end
    return end


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


def contains_card_number(text: str) -> bool:
    return find_secrets(text or "").card_number


def redact_card_numbers(text: str) -> str:
    """`text` with every card number (and its expiry and CVC) replaced by a placeholder."""
    text = text or ""
    return _replace(text, _card_spans(text))


# --- SSNs -----------------------------------------------------------------------------------


def ssn_spans(text: str) -> list[tuple[int, int]]:
    """Spans of `text` holding an SSN (see the module's docstring), in order."""
    cued: bool | None = None  # looked up once, and only when nine digits are there
    spans = []
    for run in _SSN_RUN.finditer(text):
        groups = _GROUP.findall(run.group())
        digits = "".join(groups)
        if len(digits) != 9 or not _assignable_ssn(digits) or _after_currency(text, run):
            continue
        if [len(group) for group in groups] != [3, 2, 4]:
            if cued is None:
                cued = _SSN_CUE.search(text) is not None
            if not cued:
                continue
        spans.append(run.span())
    return spans


def _assignable_ssn(digits: str) -> bool:
    # int() reads any script's digits, as `\d` matches them.
    area, group, serial = int(digits[:3]), int(digits[3:5]), int(digits[5:])
    return area not in (0, 666) and area < 900 and group != 0 and serial != 0


def _after_currency(text: str, run: re.Match) -> bool:
    before = text[max(0, run.start() - 2):run.start()].rstrip()
    return bool(before) and before[-1] in _CURRENCY


def contains_ssn(text: str) -> bool:
    return bool(ssn_spans(text or ""))


# --- both -----------------------------------------------------------------------------------


_SEPARATORS_ONLY = re.compile(rf"{_SEPARATOR}*")


def _only_separators(text: str, start: int, end: int) -> bool:
    return start >= end or _SEPARATORS_ONLY.fullmatch(text, start, end) is not None


def _replace(text: str, spans: list[tuple[int, int, str]]) -> str:
    if not spans:
        return text
    pieces, cursor = [], 0
    for start, end, placeholder in spans:
        pieces.append(text[cursor:start])
        pieces.append(placeholder)
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)
