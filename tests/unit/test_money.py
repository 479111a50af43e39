"""Money typed by members: parsed strictly into integer cents, formatted the way they read it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.errors import InvalidAmount
from services.money import check_amount, format_cents, parse_amount

MAX = 1_000_000  # the default configured maximum, $10,000.00
cents = st.integers(min_value=1, max_value=MAX)


@given(cents)
def test_format_then_parse_returns_the_same_cents(amount):
    assert parse_amount(format_cents(amount), max_cents=MAX) == amount


@given(cents)
def test_plain_decimal_parses_to_the_same_cents(amount):
    assert parse_amount(f"{amount // 100}.{amount % 100:02d}") == amount


@given(st.integers(min_value=0, max_value=10**6), st.text("0123456789", min_size=3, max_size=6))
def test_more_than_two_decimals_is_refused(whole, decimals):
    with pytest.raises(InvalidAmount, match="two decimals"):
        parse_amount(f"{whole}.{decimals}")


@given(cents)
def test_negative_amounts_are_refused(amount):
    for text in (f"-{amount}", f"-{format_cents(amount)}", f"$-{amount / 100:.2f}"):
        with pytest.raises(InvalidAmount, match="negative"):
            parse_amount(text)


@given(st.integers(min_value=MAX + 1, max_value=10**12))
def test_more_than_the_maximum_is_refused(amount):
    with pytest.raises(InvalidAmount, match=r"\$10,000\.00"):
        parse_amount(format_cents(amount), max_cents=MAX)


@given(st.text(alphabet="٠١٢٣٤٥٦٧٨٩０１２３４５６７８９", min_size=1, max_size=4))
def test_only_ascii_digits_count(digits):
    with pytest.raises(InvalidAmount):
        parse_amount(digits)


@pytest.mark.parametrize("text, expected", [
    ("$1,234.50", 123_450), ("1234.5", 123_450), ("120 dollars", 12_000), ("USD 80", 8_000),
    ("$ 12", 1_200), (".99", 99), ("  7.05  ", 705), ("+3", 300),
])
def test_what_members_type(text, expected):
    assert parse_amount(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "abc", "1,23", "12,3456", "$", "1.2.3", "0", "0.00",
                                  "ten", "1e3", "--5"])
def test_unreadable_or_zero_amounts_are_refused(text):
    with pytest.raises(InvalidAmount):
        parse_amount(text)


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "100"])
def test_check_amount_wants_positive_whole_cents(value):
    with pytest.raises(InvalidAmount):
        check_amount(value)


def test_format_cents():
    assert format_cents(1_234_550) == "$12,345.50"
    assert format_cents(5) == "$0.05"
    assert format_cents(-2_500) == "-$25.00"
