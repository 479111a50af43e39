"""Reading a member's reminder choices: the days before a due date ("7, 3 and 1") and quiet
hours ("9pm to 8am"), and saying them back."""

from __future__ import annotations

import re

MAX_REMINDER_DAYS = 5
LATEST_REMINDER_DAY = 30  # days before the due date

_DAY_FILLER = frozenset({"and", "day", "days", "before", "ahead", "early", "prior", "the",
                         "due", "date", "on", "of"})
_NUMBER_WORDS = {word: number for number, word in enumerate(
    "zero one two three four five six seven eight nine ten".split())} | {"a": 1, "an": 1}
_WEEKS = frozenset({"week", "weeks"})
_SEPARATORS = re.compile(r"[,;&/+]")
_NUMBER = re.compile(r"[0-9]{1,3}")
_TIME = (r"(?:([0-9]{1,2})(?::([0-9]{2}))?\s*([ap])\.?\s*m?\.?"
         r"|([0-9]{1,2})(?::([0-9]{2}))?|(midnight|noon))")
_RANGE = re.compile(
    rf"^(?:from\s+|between\s+)?{_TIME}\s*(?:to|until|till|and|-|–|—)\s*{_TIME}$")


class ReminderInputError(ValueError):
    """Why the answer cannot be used; `reason` names the response that explains it."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # not_understood | out_of_range | too_many | empty


def parse_reminder_days(text: str) -> list[int]:
    """"7, 3 and 1" or "a week and 2 days" -> [7, 3, 1] or [7, 2]: days before the due date,
    largest first, no repeats."""
    days: list[int] = []
    last_was_number = False
    for word in _SEPARATORS.sub(" ", text.lower()).split():
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
    if any(not 0 <= day <= LATEST_REMINDER_DAY for day in days):
        raise ReminderInputError("out_of_range")
    unique = sorted(set(days), reverse=True)
    if len(unique) > MAX_REMINDER_DAYS:
        raise ReminderInputError("too_many")
    return unique


def parse_quiet_hours(text: str) -> tuple[int, int]:
    """"9pm to 8am" or "21:00-08:00" -> (21, 8): local hours, from start to end."""
    match = _RANGE.match(" ".join(text.lower().split()))
    if not match:
        raise ReminderInputError("not_understood")
    groups = match.groups()
    return check_quiet_hours(_hour(groups[:6]), _hour(groups[6:]))


def check_quiet_hours(start: int, end: int) -> tuple[int, int]:
    if not (0 <= start <= 23 and 0 <= end <= 23):
        raise ReminderInputError("not_understood")
    if start == end:
        raise ReminderInputError("empty")
    return start, end


def describe_reminder_days(days: list[int]) -> str:
    """[7, 3, 1] -> "7, 3 and 1 days before each due date"; 0 is the due date itself."""
    before = [day for day in days if day > 0]
    parts = []
    if before:
        unit = "day" if before == [1] else "days"
        parts.append(f"{_join([str(day) for day in before])} {unit} before each due date")
    if 0 in days:
        parts.append("on each due date")
    return " and ".join(parts)


def describe_hour(hour: int) -> str:
    if hour == 0:
        return "midnight"
    if hour == 12:
        return "noon"
    return f"{hour % 12 or 12}{'am' if hour < 12 else 'pm'}"


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


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
