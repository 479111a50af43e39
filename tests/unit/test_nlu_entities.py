"""Entities: amounts, dates, payment references and member ids, normalized; card numbers never."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.engine.nlu.entities import EntityExtractor
from dialogs.engine.nlu.redaction import (
    CARD_PLACEHOLDER,
    contains_card_number,
    redact_card_numbers,
)
from dialogs.engine.nlu.training_data import NluData, parse_nlu_yaml

TODAY = dt.date(2026, 11, 17)  # a Tuesday
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
EXTRACTOR = EntityExtractor.from_data(NluData(()))


def found(text: str, entity: str | None = None, *, today: dt.date = TODAY,
          extractor: EntityExtractor = EXTRACTOR) -> list[tuple[str, object]]:
    """(surface text, value) of each entity found, of one type when `entity` is given."""
    return [(text[e["start"]:e["end"]], e["value"]) for e in extractor.extract(text, today)
            if entity is None or e["entity"] == entity]


# --- money ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("pay $1,234.50 please", [("$1,234.50", 123450)]),
    ("120 dollars", [("120 dollars", 12000)]),
    ("120.5", [("120.5", 12050)]),
    ("USD 80", [("USD 80", 8000)]),
    ("60 bucks", [("60 bucks", 6000)]),
    ("$ 45", [("$ 45", 4500)]),
    ("I want to pay 80.", [("80", 8000)]),
    ("$.50", [("$.50", 50)]),
])
def test_amounts_are_read_as_integer_cents(text, expected):
    assert found(text, "amount") == expected


@pytest.mark.parametrize("text", [
    "pay 120.505",  # three decimals: refused, not rounded
    "pay $0",  # nothing to pay
    "1,23",  # malformed thousands
    "remind me 3 days before",  # counts days
    "card ending in 4242",  # names a card
    "the last 4 of my ssn are 6789",
    "everything I paid in 2026",  # a year
    "call 1-877-623-6765",  # a phone number
    "my ssn is 123-45-6789",
    "account 1234567",  # bare 7+ digits: an account, not a premium
    "at 3:30pm",
])
def test_numbers_that_are_not_money_are_not_amounts(text):
    assert found(text, "amount") == []


@settings(max_examples=200, deadline=None)
@given(cents=st.integers(min_value=1, max_value=99_999_999), style=st.integers(0, 6),
       sentence=st.sampled_from(["{}", "pay {} please", "I can do {} today", "make it {}."]))
def test_money_round_trips_through_every_way_members_write_it(cents, style, sentence):
    whole, frac = divmod(cents, 100)
    written = [
        f"${whole:,}.{frac:02d}",
        f"${whole}.{frac:02d}",
        f"{whole:,}.{frac:02d} dollars",
        f"USD {whole}.{frac:02d}",
        f"{whole}.{frac:02d}$",
        f"${whole:,}" if frac == 0 else f"${whole:,}.{frac:02d}",
        # bare numbers count as money only up to six digits
        f"{whole % 1_000_000}.{frac:02d}" if whole % 1_000_000 else f"{frac or 1}",
    ][style]
    expected = parse_written(written)
    text = sentence.format(written)
    assert found(text, "amount") == [(written, expected)]


def parse_written(written: str) -> int:
    digits = written.replace("$", "").replace(",", "").replace("USD", "").replace("dollars", "")
    whole, _, frac = digits.strip().partition(".")
    return int(whole or 0) * 100 + int(frac.ljust(2, "0") or 0)


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "iso"), [
    ("next Friday", "2026-11-27"),  # Friday of next week, as Duckling reads it
    ("this friday", "2026-11-20"),
    ("pay on friday", "2026-11-20"),
    ("friday after next", "2026-11-27"),
    ("tomorrow", "2026-11-18"),
    ("tmrw", "2026-11-18"),
    ("today", "2026-11-17"),
    ("the 23rd", "2026-11-23"),
    ("the 17th", "2026-11-17"),  # today counts
    ("the 5th", "2026-12-05"),  # already past this month
    ("the 31st", "2026-12-31"),  # November has no 31st
    ("on the 5", "2026-12-05"),
    ("12/23", "2026-12-23"),
    ("11/10", "2027-11-10"),  # next occurrence
    ("12/23/26", "2026-12-23"),
    ("23/12", "2026-12-23"),  # 23 can't be a month
    ("Dec 23", "2026-12-23"),
    ("December 23rd 2026", "2026-12-23"),
    ("23rd of December", "2026-12-23"),
    ("2026-12-23", "2026-12-23"),
    ("2/29", "2028-02-29"),
    ("in 3 days", "2026-11-20"),
    ("in two weeks", "2026-12-01"),
    ("end of the month", "2026-11-30"),
    ("the 1st of next month", "2026-12-01"),
])
def test_dates_resolve_to_iso_relative_to_today(text, iso):
    assert found(text, "date") == [(text.removeprefix("pay on ").removeprefix("on "), iso)]


@pytest.mark.parametrize("text", ["2/30", "13/23", "may I pay 5", "version 1.12/3"])
def test_impossible_or_non_dates_are_not_dates(text):
    assert found(text, "date") == []


@given(today=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 12, 31)),
       day=st.integers(1, 28), month=st.integers(1, 12))
def test_a_date_without_a_year_is_its_next_occurrence(today, day, month):
    [(_, ordinal)] = found(f"the {day}th", "date", today=today)
    [(_, numeric)] = found(f"{month}/{day}", "date", today=today)
    ordinal, numeric = dt.date.fromisoformat(ordinal), dt.date.fromisoformat(numeric)
    assert today <= ordinal < today + dt.timedelta(days=32) and ordinal.day == day
    assert today <= numeric < today + dt.timedelta(days=366)
    assert (numeric.month, numeric.day) == (month, day)


# --- payment references and member ids ------------------------------------------------------


@given(code=st.text(REFERENCE_ALPHABET, min_size=8, max_size=8),
       lower=st.booleans(), separator=st.sampled_from(["-", "", " "]))
def test_payment_references_are_normalized(code, lower, separator):
    typed = f"HC{separator}{code[:4]}{separator}{code[4:]}"
    typed = typed.lower() if lower else typed
    assert found(f"my reference is {typed} thanks", "payment_reference") == [
        (typed, f"HC-{code[:4]}-{code[4:]}")
    ]


def test_a_reference_without_prefix_needs_its_check_character():
    assert found("x49j-dw2k", "payment_reference") == [("x49j-dw2k", "HC-X49J-DW2K")]
    assert found("x49j-dw2m", "payment_reference") == []  # one character mistyped
    assert found("best debt", "payment_reference") == []  # the shape, but words


@pytest.mark.parametrize("text", ["HC-7K3M-9Q2I", "HC-7K3M-9Q2", "HC-7K3M-9Q2DX", "HC-0K3M-9Q2D"])
def test_malformed_references_are_not_references(text):
    assert found(text, "payment_reference") == []


@given(digits=st.text("0123456789", min_size=12, max_size=12),
       separator=st.sampled_from(["", " ", "-"]))
def test_twelve_digit_member_ids_are_found_grouped_or_not(digits, separator):
    typed = separator.join([digits[:4], digits[4:8], digits[8:]])
    assert found(f"member id {typed}", "member_id") == [(typed, digits)]


@pytest.mark.parametrize("text", [
    "123456789",  # an SSN's length
    "123-45-6789",
    "1234567890123",  # thirteen digits
    "1234 5678 9012 3456",  # sixteen, grouped (not Luhn-valid, still not an id)
    "12345678901",
])
def test_other_digit_runs_are_not_member_ids(text):
    assert found(text, "member_id") == []


# --- card numbers ---------------------------------------------------------------------------


def with_luhn_check_digit(body: str) -> str:
    total = 0
    for position, char in enumerate(reversed(body)):
        value = int(char)
        if position % 2 == 0:  # doubled once the check digit is appended
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return body + str((10 - total % 10) % 10)


card_numbers = st.integers(13, 19).flatmap(
    lambda length: st.text("0123456789", min_size=length - 1, max_size=length - 1)
).map(with_luhn_check_digit)


@settings(max_examples=200, deadline=None)
@given(number=card_numbers, separator=st.sampled_from(["", " ", "-", ".", "\n", "\u00a0"]),
       group=st.sampled_from([4, 3, 5]),
       around=st.sampled_from(["{}", "my card is {} exp 12/28", "pay $120 with {} cvc 123"]))
def test_card_numbers_are_redacted_and_never_entities(number, separator, group, around):
    typed = separator.join(number[i:i + group] for i in range(0, len(number), group))
    text = around.format(typed)
    assert contains_card_number(text)
    redacted = redact_card_numbers(text)
    assert number not in "".join(char for char in redacted if char.isdigit())
    assert CARD_PLACEHOLDER in redacted
    values = "".join(str(value) for _, value in found(text))
    assert not any(number[i:i + 12] in values for i in range(len(number) - 11))


def test_test_cards_from_the_gateway_docs_are_caught():
    assert contains_card_number("4242 4242 4242 4242")
    assert contains_card_number("4000-0000-0000-0002")
    assert contains_card_number("4242424242424242 123")  # followed by a CVC
    assert not contains_card_number("1234 5678 9012 3456")  # fails Luhn
    assert not contains_card_number("member id 123456789012")  # 12 digits, below 13


def test_a_redacted_card_leaves_nothing_to_extract():
    text = redact_card_numbers("use card 4242 4242 4242 4242 for $80")
    assert found(text) == [("$80", 8000)]


# --- nlu.yml regexes, lookups and synonyms --------------------------------------------------


DATA = parse_nlu_yaml("""
version: "3.1"
nlu:
- intent: inform
  examples: |
    - the [dental](plan_type) one
    - from my [checking account]{"entity": "method_type", "value": "bank_account"}
- synonym: health
  examples: |
    - medical
- lookup: plan_type
  examples: |
    - health
    - medical
- regex: zip_code
  examples: |
    - \\b\\d{5}(?:-\\d{4})?\\b
- regex: member_id
  examples: |
    - \\b\\d{4}\\.\\d{4}\\.\\d{4}\\b
""")


def test_lookups_annotations_and_synonyms_from_nlu_yml_are_honoured():
    extractor = EntityExtractor.from_data(DATA)
    assert found("the Dental one", "plan_type", extractor=extractor) == [("Dental", "Dental")]
    assert found("my medical plan", "plan_type", extractor=extractor) == [("medical", "health")]
    assert found("use my checking account", "method_type", extractor=extractor) == [
        ("checking account", "bank_account")
    ]


def test_a_regex_named_for_an_entity_adds_patterns():
    extractor = EntityExtractor.from_data(DATA)
    assert found("I live in 02297", "zip_code", extractor=extractor) == [("02297", "02297")]
    # a regex for a built-in entity adds a way to write it; the built-in normalizer applies
    assert found("id 1234.5678.9012", "member_id", extractor=extractor) == [
        ("1234.5678.9012", "123456789012")
    ]
    assert found("id 1234.5678.9012", "member_id") == []


def test_card_numbers_annotated_in_training_data_are_not_kept_for_lookup():
    data = parse_nlu_yaml("""
nlu:
- intent: inform
  examples: |
    - [4242 4242 4242 4242](card_number)
    - [savings](method_type)
""")
    assert found("4242 4242 4242 4242", extractor=EntityExtractor.from_data(data)) == []
