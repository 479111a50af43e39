"""parse_amount in linear time (issue 16): "75 spaces and an x" at the amount prompt froze the
server for 13 s, because the old pattern's neighbouring \\s* runs backtracked over every way of
sharing the spaces. Any input up to 4,096 characters must parse or be refused at once, and
everything the old pattern read is read the same way. The 10 ms figure the issue names is
measured by `python -m bench.bench_amounts`; here the bound only has to tell linear from
backtracking (seconds), so a loaded machine cannot fail it."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from services.errors import InvalidAmount
from services.money import parse_amount

BOUND_SECONDS = 0.5
# The pieces an amount is made of, and the ones that made the old pattern backtrack.
PIECES = [" ", "  ", "\t", "\n", "$", "usd", "USD", "dollars", "dollar", "bucks", "-", "+",
          "0", "1", "9", "12", "345", ",", ",000", ".", ".5", "x", "e", "٣"]
# The pattern before issue 16, as the reference for what is read how (short inputs only).
OLD_AMOUNT = re.compile(
    r"""^\s*
    (?:usd\s*)?\$?\s*
    (?P<sign>[-+])?\s*\$?\s*
    (?P<whole>\d{1,3}(?:,\d{3})+|\d+)?
    (?:\.(?P<frac>\d+))?
    \s*(?:dollars?|bucks|usd)?\s*$""",
    re.IGNORECASE | re.VERBOSE | re.ASCII,
)
PATHOLOGICAL = [
    " " * 75 + "x", " " * 100 + "x", " " * 4095 + "x", "$" + " " * 4094 + "x",
    "usd" + " " * 4092 + "x", "1" * 4096, "1" + ",000" * 1023 + "x", "." + "1" * 4095,
    " \t" * 2047 + "x", "- " * 2048, "1" + " " * 4094 + "x", "1 dollars" + " " * 4086 + "x",
]


def parse_quickly(text: str) -> int | None:
    """parse_amount's answer (None when refused), asserting it came within the bound."""
    started = time.perf_counter()
    try:
        cents = parse_amount(text)
    except InvalidAmount:
        cents = None
    elapsed = time.perf_counter() - started
    assert elapsed < BOUND_SECONDS, f"{elapsed * 1000:.1f} ms for {text[:40]!r}... " \
                                    f"({len(text)} characters)"
    return cents


def old_reading(text: str) -> int | None:
    match = OLD_AMOUNT.match(text)
    if not match or (match["whole"] is None and match["frac"] is None) or match["sign"] == "-" \
            or len(match["frac"] or "") > 2:
        return None
    cents = int((match["whole"] or "0").replace(",", "")) * 100 + \
        int((match["frac"] or "").ljust(2, "0"))
    return cents or None


any_text = st.one_of(
    st.text(max_size=4096),
    st.lists(st.sampled_from(PIECES), max_size=1400).map("".join).map(lambda t: t[:4096]),
)


@settings(max_examples=300, deadline=None)
@given(any_text)
@example(" " * 75 + "x")
def test_any_input_up_to_4096_characters_parses_or_is_refused_at_once(text):
    parse_quickly(text)


@pytest.mark.parametrize("text", PATHOLOGICAL, ids=lambda text: f"{text[:12]!r}x{len(text)}")
def test_the_inputs_that_froze_the_server_are_refused_at_once(text):
    assert parse_quickly(text) is None


@settings(max_examples=500)
@given(st.lists(st.sampled_from(PIECES), max_size=8).map("".join))
def test_short_amounts_read_exactly_as_before(text):
    assert parse_quickly(text) == (old_reading(text) if text.strip() else None)


def test_a_long_amount_is_refused_with_the_usual_reply():
    with pytest.raises(InvalidAmount, match="couldn't read that as an amount"):
        parse_amount("1" * 65)
    assert parse_amount(" " * 4000 + "$1,234.50" + " " * 80) == 123_450
