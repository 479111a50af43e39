"""The parts of a message that may carry its main request (dialogs/engine/nlu/main_request.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialogs.engine.nlu.main_request import request_parts, without_politeness


def parts(text: str) -> list[str]:
    return [text[start:end] for start, end in request_parts(text)]


@pytest.mark.parametrize(("text", "expected"), [
    ("how much i owe? thanks", ["how much i owe"]),
    ("hi! can i see my balance please", ["can i see my balance"]),
    ("i waited an hour. can i just pay here?",
     ["can i just pay here", "i waited an hour", "i waited an hour. can i just pay here"]),
    ("hi", []),
    ("yes", []),
    # Politeness after a run of separators (the pattern starts where the run starts).
    ("what do i owe ,  , thanks!! thank you", ["what do i owe"]),
    ("show my balance   please   pls rn", ["show my balance"]),
])
def test_parts_of_a_message(text, expected):
    assert sorted(parts(text)) == sorted(expected)


def test_politeness_around_a_request_is_left_out():
    text = "ok so, looks good thanks!"
    start, end = without_politeness(text)

    assert text[start:end] == "looks good"


@given(st.text(max_size=200))
def test_parts_are_never_empty_and_lie_inside_the_text(text):
    for start, end in request_parts(text):
        assert 0 <= start < end <= len(text)
        assert text[start:end].strip()
        assert (start, end) != (0, len(text))
