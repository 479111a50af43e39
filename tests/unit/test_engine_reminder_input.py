"""Reading reminder days and quiet hours (dialogs/actions/reminder_input.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialogs.actions.reminder_input import (
    LATEST_REMINDER_DAY,
    MAX_REMINDER_DAYS,
    ReminderInputError,
    describe_hour,
    describe_reminder_days,
    parse_quiet_hours,
    parse_reminder_days,
)


@pytest.mark.parametrize(("text", "days"), [
    ("7, 3 and 1", [7, 3, 1]),
    ("1 3 7", [7, 3, 1]),
    ("3 days before", [3]),
    ("a week and 2 days", [7, 2]),
    ("two weeks", [14]),
    ("0", [0]),
    ("3, 3 and 3", [3]),
    ("5 days ahead", [5]),
])
def test_reminder_days(text, days):
    assert parse_reminder_days(text) == days


@pytest.mark.parametrize(("text", "days"), [
    ("a week before and the day before", [7, 1]),  # was [7]: the day before was dropped
    ("a week, three days and the day before", [7, 3, 1]),
    ("just the day before", [1]),
    ("the day before and on the due date", [1, 0]),
    ("two weeks and one week before", [14, 7]),
    ("five days and two days before", [5, 2]),
    ("on the due date", [0]),
    ("twenty", [20]),
    ("3 days before please", [3]),
    ("3 days prior and the morning of", [3, 0]),
])
def test_reminder_days_in_words_keep_every_day_given(text, days):
    assert parse_reminder_days(text) == days


@pytest.mark.parametrize(("text", "hours"), [
    ("not after 10 at night or before 7", (22, 7)),
    ("nothing after 9pm or before 8am", (21, 8)),
    ("not before 8 or after 9pm", (21, 8)),
    ("after 9 at night and before 8 in the morning", (21, 8)),
    ("no texts between 10 pm and 6 am", (22, 6)),
    ("ten pm to seven am", (22, 7)),
    ("midnight to 6am", (0, 6)),
    ("9pm to 8am please", (21, 8)),
])
def test_quiet_hours_in_words(text, hours):
    assert parse_quiet_hours(text) == hours


@pytest.mark.parametrize(("text", "reason"), [
    ("", "not_understood"),
    ("soon", "not_understood"),
    ("-1", "not_understood"),
    ("weeks", "not_understood"),
    ("31", "out_of_range"),
    ("5 weeks", "out_of_range"),
    ("1, 2, 3, 4, 5, 6", "too_many"),
])
def test_reminder_days_that_cannot_be_used(text, reason):
    with pytest.raises(ReminderInputError) as error:
        parse_reminder_days(text)
    assert error.value.reason == reason


day_lists = st.lists(st.integers(0, LATEST_REMINDER_DAY), min_size=1,
                     max_size=MAX_REMINDER_DAYS, unique=True)


@given(day_lists, st.sampled_from([", ", " ", " and ", "; "]))
def test_any_valid_days_read_back_largest_first(days, separator):
    assert parse_reminder_days(separator.join(map(str, days))) == sorted(days, reverse=True)


@given(st.lists(st.integers(1, LATEST_REMINDER_DAY), min_size=1, max_size=MAX_REMINDER_DAYS,
                unique=True))
def test_days_said_back_read_back(days):
    said = describe_reminder_days(sorted(days, reverse=True))

    assert parse_reminder_days(said.replace("each", "the")) == sorted(days, reverse=True)


@pytest.mark.parametrize(("days", "said"), [
    ([7, 3, 1], "7, 3 and 1 days before each due date"),
    ([1], "1 day before each due date"),
    ([3, 0], "3 days before each due date and on each due date"),
    ([0], "on each due date"),
])
def test_days_said_back(days, said):
    assert describe_reminder_days(days) == said


@given(st.text(max_size=40))
def test_any_text_is_read_or_refused_with_a_reason(text):
    try:
        days = parse_reminder_days(text)
    except ReminderInputError as error:
        assert error.reason in {"not_understood", "out_of_range", "too_many"}
    else:
        assert 1 <= len(days) <= MAX_REMINDER_DAYS
        assert all(0 <= day <= LATEST_REMINDER_DAY for day in days)


@pytest.mark.parametrize(("text", "hours"), [
    ("9pm to 8am", (21, 8)),
    ("21:00-08:00", (21, 8)),
    ("10 PM - 6 AM", (22, 6)),
    ("from 11p.m. until 7a.m.", (23, 7)),
    ("between midnight and 6am", (0, 6)),
    ("12am to noon", (0, 12)),
    ("22 to 7", (22, 7)),
])
def test_quiet_hours(text, hours):
    assert parse_quiet_hours(text) == hours


@pytest.mark.parametrize(("text", "reason"), [
    ("9pm", "not_understood"),
    ("9:30pm to 8am", "not_understood"),
    ("13pm to 8am", "not_understood"),
    ("25 to 7", "not_understood"),
    ("9pm to 9pm", "empty"),
    ("never", "not_understood"),
])
def test_quiet_hours_that_cannot_be_used(text, reason):
    with pytest.raises(ReminderInputError) as error:
        parse_quiet_hours(text)
    assert error.value.reason == reason


@given(st.integers(0, 23), st.integers(0, 23))
def test_any_hours_said_back_read_back(start, end):
    text = f"{describe_hour(start)} to {describe_hour(end)}"
    if start == end:
        with pytest.raises(ReminderInputError):
            parse_quiet_hours(text)
    else:
        assert parse_quiet_hours(text) == (start, end)
        assert parse_quiet_hours(f"{start:02d}:00-{end:02d}:00") == (start, end)


@given(st.text(max_size=30))
def test_any_text_is_read_as_hours_or_refused(text):
    try:
        start, end = parse_quiet_hours(text)
    except ReminderInputError as error:
        assert error.reason in {"not_understood", "empty"}
    else:
        assert 0 <= start <= 23 and 0 <= end <= 23 and start != end


@pytest.mark.parametrize(("text", "rejected"), [("7, 3 and 45", (45,)), ("31 and 60", (31, 60))])
def test_days_that_cannot_be_kept_are_named(text, rejected):
    with pytest.raises(ReminderInputError) as error:
        parse_reminder_days(text)
    assert error.value.rejected == rejected
