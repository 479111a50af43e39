"""Amounts in words and shares of what is owed, found by the NLU with their place in the text
(dialogs/engine/nlu/number_words.py, entities.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialogs.engine.nlu.number_words import find_number_words
from tests.unit.test_nlu_entities import found

_UNITS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
          "fourteen fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()


def _said(number: int) -> str:
    """1..999 the way a member writes it: "a hundred and fifty", "twenty-five"."""
    hundreds, rest = divmod(number, 100)
    words = []
    if hundreds:
        words.append(f"{'a' if hundreds == 1 else _UNITS[hundreds]} hundred")
    if rest:
        tens, units = divmod(rest, 10)
        small = _UNITS[rest] if rest < 20 else _TENS[tens - 2] + (
            f"-{_UNITS[units]}" if units else "")
        words.append(("and " if hundreds else "") + small)
    return " ".join(words)


@pytest.mark.parametrize(("text", "cents"), [
    ("one hundred", 10_000),
    ("a hundred and fifty dollars", 15_000),
    ("fifty", 5_000),
    ("twenty five dollars", 2_500),
    ("pay ten on dental", 1_000),
    ("one thousand two hundred", 120_000),
    ("fifty dollars and 25 cents", 5_025),
    ("one hundred dollars fifty cents", 10_050),
])
def test_amounts_in_words_are_cents(text, cents):
    assert [value for _, value in found(text, "amount")] == [cents]


@pytest.mark.parametrize("text", [
    "three days before", "i have one question", "seven am", "one", "remind me two weeks before",
    "25 cents",
])
def test_number_words_that_count_something_else_are_not_amounts(text):
    assert found(text, "amount") == []


@pytest.mark.parametrize(("text", "share"), [
    ("half", "half"), ("half of it", "half"), ("the full amount", "full"),
    ("everything i owe", "full"), ("all of it", "full"), ("the whole thing", "full"),
    ("full balance", "full"), ("pay it all", "full"), ("in full", "full"), ("all", "full"),
])
def test_shares_of_what_is_owed(text, share):
    assert [value for _, value in found(text, "amount_share")] == [share]


@given(st.integers(1, 999))
def test_any_amount_written_in_words_is_read(number):
    text = f"{_said(number)} dollars"

    assert [(start, end, value) for start, end, value in find_number_words(text)] == [
        (0, len(_said(number)), number)]
    assert [value for _, value in found(text, "amount")] == [number * 100]
