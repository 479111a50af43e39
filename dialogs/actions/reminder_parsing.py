"""Reading a member's reminder choices in any language HealthPay has: the days before a due
date ("7, 3 and 1", "una semana antes y el dia antes") and quiet hours ("9pm to 8am", "no despues
de las 10 de la noche ni antes de las 7").

English is read by the patterns below. Another language's answer is first made to read as
English: its numbers in words become digits (text2num, in the language of its
data/languages/<code>/words.yml `numbers: text2num`), then that file's `reminder_days:` or
`quiet_hours:` rewrites turn its words into the English ones ("3 dias antes" -> "3 days
before"). Without a language named, every language is tried, English first: the answer is what
the first reading that understands it says.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TypeVar

from text_to_num import alpha2digit

from services import language_words

T = TypeVar("T")

MAX_REMINDER_DAYS = 5
LATEST_REMINDER_DAY = 30  # days before the due date

_DAY_FILLER = frozenset({"and", "day", "days", "before", "ahead", "early", "prior", "the",
                         "due", "date", "on", "of", "just", "only", "also", "remind", "me",
                         "in", "advance", "it", "its", "it's", "is", "then", "plus", "or",
                         "pls", "please", "thanks", "thx", "ok", "too"})
# Small numbers text2num leaves alone, and "a week" / "an hour" style articles.
_NUMBER_WORDS = {"zero": 0, "one": 1, "two": 2, "a": 1, "an": 1}
_WEEKS = frozenset({"week", "weeks"})
# A day named without a number: "the day before" is 1, "on the due date" / "the day of" is 0.
_NAMED_DAYS = (
    (re.compile(r"\b(?:on\s+)?the\s+(?:due\s+)?(?:date|day|morning)\s+(?:itself|of)\b"
                r"|\bon\s+the\s+(?:due\s+)?(?:date|day)\b|\bsame\s+day\b"), " 0 "),
    (re.compile(r"\b(?:the|a)\s+day\s+(?=before|ahead|prior|early)"), " 1 day "),
)
_SEPARATORS = re.compile(r"[,;&/+]")
_NUMBER = re.compile(r"[0-9]{1,3}")
_TIME = (r"(?:([0-9]{1,2})(?::([0-9]{2}))?\s*([ap])\.?\s*m?\.?"
         r"|([0-9]{1,2})(?::([0-9]{2}))?|(midnight|noon))")
_RANGE = re.compile(
    rf"^(?:from\s+|between\s+)?{_TIME}\s*(?:to|until|till|and|-|–|—)\s*{_TIME}$")


_CLOCK = r"([0-9]{1,2})(?::([0-9]{2}))?\s*(?:([ap])\.?\s*m\b\.?)?"
_AFTER = re.compile(rf"\bafter\s+{_CLOCK}")
_BEFORE = re.compile(rf"\bbefore\s+{_CLOCK}")
_POLITENESS = re.compile(r"\b(?:please|pls|thanks|thank you|thx|okay|ok)\b|[!?]")
_DAY_PART = re.compile(r"\s+(?:at\s+|in\s+the\s+)(night|evening|morning)\b")
# "no texts between 10 pm and 6 am", "quiet from 9pm to 8am": the range after the words.
_LEADING_WORDS = re.compile(r"^[^0-9]*?(?=(?:from\s+|between\s+)?(?:[0-9]|midnight|noon))")


class ReminderInputError(ValueError):
    """Why the answer cannot be used; `reason` names the response that explains it."""

    def __init__(self, reason: str, rejected: tuple[int, ...] = ()):
        super().__init__(reason)
        self.reason = reason  # not_understood | out_of_range | too_many | empty
        self.rejected = rejected  # out_of_range: the days that cannot be used, to say which


def parse_reminder_days(text: str, language: str | None = None) -> list[int]:
    """"7, 3 and 1", "a week and 2 days" or "una semana y 2 dias" -> [7, 3, 1] or [7, 2]: days
    before the due date, largest first, no repeats."""
    return _first_reading(text, language, "reminder_days", _english_reminder_days)


def _english_reminder_days(text: str) -> list[int]:
    days: list[int] = []
    last_was_number = False
    text = alpha2digit(text.lower(), "en")  # "twenty" -> "20", "three" -> "3"
    for pattern, replacement in _NAMED_DAYS:
        text = pattern.sub(replacement, text)
    for word in _SEPARATORS.sub(" ", text).split():
        is_number = bool(_NUMBER.fullmatch(word)) or word in _NUMBER_WORDS
        if is_number:
            days.append(_NUMBER_WORDS[word] if word in _NUMBER_WORDS else int(word))
        elif word in _WEEKS and last_was_number:
            days[-1] *= 7
        elif word not in _DAY_FILLER:
            raise ReminderInputError("not_understood")
        last_was_number = is_number
    return check_reminder_days(days)


def check_reminder_days(days: list[int]) -> list[int]:
    if not days:
        raise ReminderInputError("not_understood")
    rejected = tuple(day for day in days if not 0 <= day <= LATEST_REMINDER_DAY)
    if rejected:
        raise ReminderInputError("out_of_range", rejected)
    unique = sorted(set(days), reverse=True)
    if len(unique) > MAX_REMINDER_DAYS:
        raise ReminderInputError("too_many")
    return unique


def parse_quiet_hours(text: str, language: str | None = None) -> tuple[int, int]:
    """"9pm to 8am", "21:00-08:00", "not after 10 at night or before 7" or "de 9pm a 8am" ->
    (21, 8) / (22, 7): local hours, from start to end."""
    return _first_reading(text, language, "quiet_hours", _english_quiet_hours)


def _english_quiet_hours(text: str) -> tuple[int, int]:
    text = _POLITENESS.sub(" ", text.lower())
    text = alpha2digit(" ".join(text.split()), "en", threshold=0)  # "ten pm" -> "10 pm"
    text = _DAY_PART.sub(lambda m: " pm" if m.group(1) in ("night", "evening") else " am", text)
    after, before = _AFTER.search(text), _BEFORE.search(text)
    if after and before:
        # "not after 10 at night or before 7": quiet from the "after" hour to the "before" one;
        # an hour said without am/pm is evening after and morning before.
        return check_quiet_hours(_hour(_twelve_hour(after, "p")), _hour(_twelve_hour(before, "a")))
    match = _RANGE.match(_LEADING_WORDS.sub("", text, count=1))
    if not match:
        raise ReminderInputError("not_understood")
    groups = match.groups()
    return check_quiet_hours(_hour(groups[:6]), _hour(groups[6:]))


def _twelve_hour(match: re.Match, default_half: str) -> tuple:
    hour, minutes, half = match.groups()
    if half is None and int(hour) <= 12:
        return hour, minutes, default_half, None, None, None
    if half is None:
        return None, None, None, hour, minutes, None
    return hour, minutes, half, None, None, None


def check_quiet_hours(start: int, end: int) -> tuple[int, int]:
    if not (0 <= start <= 23 and 0 <= end <= 23):
        raise ReminderInputError("not_understood")
    if start == end:
        raise ReminderInputError("empty")
    return start, end



def _hour(groups: tuple) -> int:
    twelve_hour, twelve_minutes, half, plain, plain_minutes, named = groups
    if named:
        return 0 if named == "midnight" else 12
    if (twelve_minutes or plain_minutes or "00") != "00":
        raise ReminderInputError("not_understood")  # quiet hours start on the hour
    if twelve_hour is not None:
        hour = int(twelve_hour)
        if not 1 <= hour <= 12:
            raise ReminderInputError("not_understood")
        return hour % 12 + (12 if half == "p" else 0)
    return int(plain)




def _first_reading(text: str, language: str | None, part: str, read: Callable[[str], T]) -> T:
    """What the first reading that understands `text` makes of it: English, then `language`
    (or every language with words for `part`). A reading that understands it and finds it
    wrong ("40 days": out of range) decides."""
    for reading in [text, *_translations(text, language, part)]:
        try:
            return read(reading)
        except ReminderInputError as error:
            if error.reason != "not_understood":
                raise
    raise ReminderInputError("not_understood")


def _translations(text: str, language: str | None, part: str) -> Iterator[str]:
    codes = [language] if language else sorted(language_words.all_words())
    for code in codes:
        rules = language_words.section(code, part).get("rewrites")
        if rules:
            yield language_words.rewrite(_digits(text, code), rules)


def _digits(text: str, language: str) -> str:
    """`text`, plain, its numbers in words as digits ("una semana" -> "1 semana")."""
    numbers = language_words.section(language, "numbers")
    text = language_words.plain(text)
    for typed, spelled in (numbers.get("respell") or {}).items():
        text = re.sub(rf"\b{re.escape(typed)}\b", spelled, text)
    code = numbers.get("text2num")
    return alpha2digit(text, code, threshold=0) if code else text
