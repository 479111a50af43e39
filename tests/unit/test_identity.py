import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.errors import InvalidInput
from services.identity import (
    normalize_name,
    normalize_security_answer,
    normalize_ssn,
    parse_date_of_birth,
    ssn_hash,
)

TODAY = dt.date(2026, 11, 17)
KEY = b"test-key"


# --- names and answers ----------------------------------------------------------------------


@pytest.mark.parametrize("typed, on_record", [
    ("mary  o'neil", "Mary O'Neil"),
    ("MARY O’NEIL", "Mary O'Neil"),
    ("  Mary ONeil ", "Mary O'Neil"),
    ("jose garcia-lopez", "José García López"),
    ("Zoë Brontë", "Zoe Bronte"),
    ("Søren Łukasz", "Soren Lukasz"),
    ("J.R. Smith Jr.", "JR Smith Jr"),
])
def test_names_match_whatever_the_case_spacing_accents_and_punctuation(typed, on_record):
    assert normalize_name(typed) == normalize_name(on_record)


def test_different_names_stay_different():
    assert normalize_name("Mary O'Neil") != normalize_name("Mary O'Neill")
    assert normalize_name("Ann Lee") != normalize_name("Anne Lee")


@given(st.text())
def test_normalizing_twice_changes_nothing(text):
    once = normalize_name(text)
    assert normalize_name(once) == once
    assert normalize_security_answer(normalize_security_answer(text)) == \
        normalize_security_answer(text)


def test_security_answers_ignore_case_spacing_and_punctuation():
    assert normalize_security_answer("  St. Mary's  SCHOOL ") == "st marys school"
    assert normalize_security_answer("Rex!") == normalize_security_answer("rex")
    assert normalize_security_answer("...") == ""


# --- dates of birth -------------------------------------------------------------------------


@pytest.mark.parametrize("typed", [
    "03/14/1985", "3/14/1985", "3/14/85", "03-14-1985", "3.14.1985", "03141985",
    "1985-03-14", "1985/3/14", "19850314",
    "March 14 1985", "march 14, 1985", "Mar. 14th, 1985", "14 March 1985", "14th of March 1985",
    " MAR 14 85 ",
    # as Spanish speakers write it (words.yml month names; "el", "día", "de" say nothing)
    "14 de marzo de 1985", "el 14 de marzo de 1985", "el día 14 de marzo de 1985",
    "14 MARZO 1985", "marzo 14 1985",
])
def test_common_date_of_birth_formats(typed):
    assert parse_date_of_birth(typed, today=TODAY) == dt.date(1985, 3, 14)


def test_a_two_digit_year_is_the_latest_one_not_in_the_future():
    assert parse_date_of_birth("1/1/26", today=TODAY) == dt.date(2026, 1, 1)
    assert parse_date_of_birth("12/31/26", today=TODAY) == dt.date(1926, 12, 31)
    assert parse_date_of_birth("Sept 3 01", today=TODAY) == dt.date(2001, 9, 3)


@pytest.mark.parametrize("typed, reason", [
    ("02/30/1985", "doesn't exist"),
    ("13/13/1985", "doesn't exist"),
    ("02/29/1985", "doesn't exist"),
    ("11/18/2026", "in the future"),
    ("01/01/2040", "in the future"),
    ("11/17/1895", "over 130"),
    ("14/03/1985", "month first"),
    ("", "Please type your date of birth"),
    ("yesterday", "couldn't read"),
    ("3/14", "couldn't read"),
    ("Smarch 14 1985", "couldn't read"),
    ("14 3 1985 7", "couldn't read"),
    ("1985-03-14T00:00", "Please type your date of birth"),
])
def test_impossible_or_unreadable_dates_are_refused_with_the_reason(typed, reason):
    with pytest.raises(InvalidInput, match=reason):
        parse_date_of_birth(typed, today=TODAY)


def test_the_oldest_accepted_member_is_130():
    assert parse_date_of_birth("11/18/1895", today=TODAY) == dt.date(1895, 11, 18)
    assert parse_date_of_birth("11/17/2026", today=TODAY) == TODAY


FORMATS = [
    lambda d: d.strftime("%m/%d/%Y"),
    lambda d: f"{d.month}/{d.day}/{d.year}",
    lambda d: d.isoformat(),
    lambda d: d.strftime("%m%d%Y"),
    lambda d: d.strftime("%B %d, %Y"),
    lambda d: d.strftime("%d %B %Y"),
    lambda d: d.strftime("%b %d %Y").upper(),
]


@given(st.dates(min_value=dt.date(1895, 11, 18), max_value=TODAY), st.sampled_from(FORMATS))
def test_dates_round_trip_through_every_format(born, format_date):
    assert parse_date_of_birth(format_date(born), today=TODAY) == born


@given(st.dates(min_value=dt.date(1926, 11, 18), max_value=TODAY))
def test_two_digit_years_round_trip_within_a_hundred_years(born):
    assert parse_date_of_birth(born.strftime("%m/%d/%y"), today=TODAY) == born


@given(st.dates(min_value=dt.date(2026, 11, 18)))
def test_future_dates_are_always_refused(born):
    with pytest.raises(InvalidInput, match="future"):
        parse_date_of_birth(born.strftime("%m/%d/%Y"), today=TODAY)


# --- SSNs -----------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["123-45-6789", "123456789", "123 45 6789", " 123-45 6789 "])
def test_ssn_with_dashes_or_spaces(typed):
    assert normalize_ssn(typed) == "123456789"


@pytest.mark.parametrize("typed", [
    "000-12-3456", "666-12-3456", "900-12-3456", "999-99-9999", "123-00-4567", "123-45-0000",
])
def test_numbers_never_issued_are_refused(typed):
    with pytest.raises(InvalidInput, match="isn't a valid Social Security number") as error:
        normalize_ssn(typed)
    assert typed.replace("-", "")[:5] not in str(error.value)


@pytest.mark.parametrize("typed", ["12345678", "1234567890", "123-45-678a", "123.45.6789", "",
                                   "１２３４５６７８９"])
def test_anything_but_nine_digits_is_refused(typed):
    with pytest.raises(InvalidInput, match="all 9 digits"):
        normalize_ssn(typed)


valid_ssns = st.builds(
    lambda area, group, serial: f"{area:03d}{group:02d}{serial:04d}",
    st.integers(1, 899).filter(lambda area: area != 666),
    st.integers(1, 99),
    st.integers(1, 9999),
)


@given(valid_ssns, st.lists(st.sampled_from(["", "-", " ", " - "]), min_size=10, max_size=10))
def test_any_valid_ssn_round_trips_with_random_separators(digits, separators):
    typed = "".join(sep + digit for sep, digit in zip(separators, digits, strict=False))
    assert normalize_ssn(typed + separators[-1]) == digits


@given(st.text(alphabet="0123456789- ").filter(lambda text: sum(c.isdigit() for c in text) != 9))
def test_a_wrong_count_of_digits_is_always_refused(typed):
    with pytest.raises(InvalidInput):
        normalize_ssn(typed)


@given(valid_ssns, st.characters().filter(
    lambda c: not c.isspace() and c != "-" and c not in "0123456789"))
def test_any_other_character_is_refused(digits, stray):
    with pytest.raises(InvalidInput):
        normalize_ssn(digits[:4] + stray + digits[4:])


def test_ssn_hash_is_keyed_and_never_the_number():
    digest = ssn_hash(KEY, "123456789")
    assert digest == ssn_hash(KEY, "123456789")
    assert digest != ssn_hash(b"another-key", "123456789")
    assert digest != ssn_hash(KEY, "123456788")
    assert len(digest) == 64 and "123456789" not in digest
    with pytest.raises(ValueError):
        ssn_hash(KEY, "123-45-6789")
