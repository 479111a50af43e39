"""Reading which security question a member chose (dialogs/actions/security_questions.py):
a button's number, the question, or words of it typed the way members type."""

import pytest

from dialogs.actions.security_questions import question_number
from services.accounts import SECURITY_QUESTIONS


@pytest.mark.parametrize("typed,number", [
    ("1", "1"), (3, "3"), (SECURITY_QUESTIONS[1], "2"), (SECURITY_QUESTIONS[1].lower(), "2"),
    ("first pet", "1"), ("pet", "1"), ("name of my first pet", "1"), ("frist pet", "1"),
    ("the street one", "2"), ("my first car", "3"), ("elementary school", "4"),
    ("oldest cousin", "5"), ("nickname", "6"), ("where my parents met", "7")])
def test_a_question_is_named_by_its_number_its_text_or_its_own_words(typed, number):
    assert question_number(typed) == number


@pytest.mark.parametrize("typed", ["first", "0", "8", "Rex", "hello there", "", None,
                                   "pet or car"])
def test_a_text_that_names_no_question_or_two_names_none(typed):
    assert question_number(typed) is None
