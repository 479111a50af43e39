"""Reading a member's reminder choices: the days before a due date ("7, 3 and 1") and quiet
hours ("9pm to 8am"), and saying them back."""

from __future__ import annotations

from dialogs.actions.reminder_parsing import (  # noqa: F401  (read here by the actions)
    LATEST_REMINDER_DAY,
    MAX_REMINDER_DAYS,
    ReminderInputError,
    check_quiet_hours,
    check_reminder_days,
    parse_quiet_hours,
    parse_reminder_days,
)


def describe_rejected_days(days: tuple[int, ...]) -> str:
    """(45,) -> "45 days"; (31, 60) -> "31 and 60 days": the days a member is told were not
    kept."""
    return f"{_join([str(day) for day in days])} day{'s' if days != (1,) else ''}"


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


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
