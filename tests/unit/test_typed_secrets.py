"""The chat's detector of card numbers and SSNs (dialogs.engine.nlu.redaction): the formats
members type, the card details typed with a number, and what must not be taken for either."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.logging_setup import Redactor
from dialogs.engine.nlu.redaction import (
    CARD_DETAILS_PLACEHOLDER,
    CARD_PLACEHOLDER,
    SSN_PLACEHOLDER,
    contains_card_number,
    contains_secret,
    contains_ssn,
    find_secrets,
    redact_secrets,
)
from tests.unit.test_nlu_entities import card_numbers

VISA = "4242424242424242"


def grouped(number: str, sizes: list[int], separators: list[str]) -> str:
    """`number` cut into groups of `sizes` (cycled; the last group takes what is left), joined
    by `separators` (cycled)."""
    groups, cursor, index = [], 0, 0
    while cursor < len(number):
        size = sizes[index % len(sizes)]
        groups.append(number[cursor:cursor + size])
        cursor, index = cursor + size, index + 1
    typed = groups[0]
    for index, group in enumerate(groups[1:]):
        typed += separators[index % len(separators)] + group
    return typed


# --- card numbers: the formats the review stepped around with -------------------------------


@pytest.mark.parametrize("separator", ["  ", "/", "_", ",", " - ", "\u2013", "\u2014", " \u2013 ",
                                       "..", " / ", ", ", "\t", "\u200b", "\u2212", "|"])
def test_any_separator_between_the_groups_is_seen_through(separator):
    typed = separator.join(VISA[i:i + 4] for i in range(0, 16, 4))
    text = f"here you go {typed} thanks"

    assert contains_card_number(text)
    assert redact_secrets(text) == f"here you go {CARD_PLACEHOLDER} thanks"


@pytest.mark.parametrize("text", [
    "4242 4242 4242 4242 123",
    "4242 4242 4242 4242 12/28 123",
    "4242-4242-4242-4242, 12/2028, 1234",
    "card 4242424242424242 exp 12/28 cvc 123",
    "card 4242 4242 4242 4242 expiry date: 12 / 28, cvv is 123",
    "card 4242 4242 4242 4242, expires 1228, security code 123",
])
def test_the_expiry_and_cvc_typed_with_the_number_go_with_it(text):
    redacted = redact_secrets(text)

    assert not any(char.isdigit() for char in redacted), redacted
    assert redacted.endswith(CARD_PLACEHOLDER)


def test_an_expiry_or_cvc_named_elsewhere_in_the_message_goes_too():
    redacted = redact_secrets("cvv 123 and the card is 4000 0566 5566 5556, valid thru 11/29 ok")

    assert redacted == f"{CARD_DETAILS_PLACEHOLDER} and the card is {CARD_PLACEHOLDER} ok"


def test_card_details_alone_are_no_card_number():
    assert not contains_secret("my cvc is 123 and it expires 12/28")
    assert redact_secrets("my cvc is 123") == "my cvc is 123"


@pytest.mark.parametrize("text", [
    "pay 120.50, 130.25, 100.00 please",
    "I paid $1,234.56 and $2,345.67 and $3,456.78",
    "call me on 617-555-0123 or (617) 555 0199 after 12/05/2026",
    "my member id is 123456789012",
    "reference HC-7K3M-9Q2D from 2026-11-23 for $441.50",
    "1234 5678 9012 3456",  # fails the Luhn check
    "payments of 100 200 300 400 5 dollars",
])
def test_amounts_phones_dates_ids_and_references_are_no_card_number(text):
    assert not contains_card_number(text)
    assert redact_secrets(text) == text


SEPARATORS = " -./_,\u2013\u2014\u00a0\t|"
FILLER = st.text(st.sampled_from("abcdefghij XYZ!?:()$é"), max_size=20)
# No currency sign right before nine digits: that makes them an amount.
WORDS = st.text(st.sampled_from("abcdefghij XYZ!?:()é"), max_size=20)


@settings(max_examples=300, deadline=None)
@given(number=card_numbers,
       sizes=st.lists(st.integers(3, 8), min_size=1, max_size=4),
       separators=st.lists(st.text(st.sampled_from(SEPARATORS), min_size=1, max_size=3),
                           min_size=1, max_size=3),
       before=FILLER, after=FILLER,
       details=st.sampled_from(["", " 123", " 12/28 123", " exp 12/28", ", cvc 1234",
                                " - 01/2030 - 987", " expires 0330 cvv 555"]))
def test_card_numbers_in_any_format_leave_no_digit_behind(number, sizes, separators, before,
                                                          after, details):
    text = f"{before} {grouped(number, sizes, separators)}{details} {after}"

    found = find_secrets(text)
    redacted = redact_secrets(text)

    assert found.card_number and not found.ssn
    assert CARD_PLACEHOLDER in redacted
    assert not any(char.isdigit() for char in redacted), redacted


# --- SSNs -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, kept", [
    ("my social is 555 12 3456", "my social is "),
    ("ssn 555123456", "ssn "),
    ("SSN: 555-12-3456", "SSN: "),
    ("555.12.3456", ""),
    ("it's 555 \u2013 12 \u2013 3456", "it's "),
    ("my soc sec no is 5551 23456", "my soc sec no is "),
    ("here: 555-12-3456 (my social security number)", "here: "),
])
def test_ssns_with_or_without_separators_are_found(text, kept):
    assert contains_ssn(text)
    assert redact_secrets(text).startswith(kept + SSN_PLACEHOLDER)
    assert "3456" not in redact_secrets(text)


@pytest.mark.parametrize("text", [
    "123456789",  # nine digits with no word for an SSN: an account number, a chat id
    "pay 555123456 cents",
    "000-12-3456", "666-12-3456", "900-12-3456",  # areas never assigned
    "ssn 123-00-4567", "ssn 123-45-0000",  # no group 00, no serial 0000
    "call 617-555-0123", "call (617) 555-0123", "+1 617 555 0123",
    "member id 123456789012",
    "my ssn changed? reference HC-7K3M-9Q2D",
    "born 04/12/1990, 1990-04-12",
    "I paid $555 12 3456 times",  # follows a currency sign: an amount
    "100, 20, 3000",  # commas: a list of amounts
    "my social worker said to pay 120.00",
])
def test_amounts_phones_ids_references_and_dates_are_no_ssn(text):
    assert not contains_ssn(text)
    assert redact_secrets(text) == text


def ssn_digits():
    return st.tuples(st.integers(1, 899).filter(lambda area: area != 666),
                     st.integers(1, 99), st.integers(1, 9999)).map(
        lambda parts: f"{parts[0]:03d}{parts[1]:02d}{parts[2]:04d}")


@settings(max_examples=200, deadline=None)
@given(digits=ssn_digits(),
       separators=st.lists(st.text(st.sampled_from(" -.\u2013"), min_size=1, max_size=3),
                           min_size=2, max_size=2),
       before=WORDS, after=WORDS)
def test_ssns_grouped_three_two_four_are_found_wherever_they_are(digits, separators, before,
                                                                  after):
    text = f"{before} {grouped(digits, [3, 2, 4], separators)} {after}"

    assert contains_ssn(text)
    assert not any(char.isdigit() for char in redact_secrets(text))


@settings(max_examples=100, deadline=None)
@given(digits=ssn_digits(), cue=st.sampled_from(["ssn", "SSN#", "my social is", "Social:"]))
def test_nine_bare_digits_are_an_ssn_only_with_a_word_for_one(digits, cue):
    assert contains_ssn(f"{cue} {digits}")
    assert not contains_ssn(f"reference {digits}")


# --- the logs use the same detector ----------------------------------------------------------


@pytest.mark.parametrize("text", ["card 4242  4242/4242_4242 cvc 123", "ssn 555.12.3456",
                                  "4242 \u2013 4242 \u2013 4242 \u2013 4242"])
def test_the_logs_remove_what_the_chat_detector_finds(text):
    logged = Redactor()(f"turn text={text!r}x")

    assert "4242" not in logged and "3456" not in logged and "123" not in logged
