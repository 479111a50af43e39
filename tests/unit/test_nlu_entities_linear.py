"""The amount patterns of the entity extractor scan each whitespace run once (possessive
\\s*+, issue 16) and find exactly what they found before."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.engine.nlu import entities

_NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+"
# The patterns before issue 16, as the reference.
OLD_AMOUNT = re.compile(
    rf"""(?<![\w.,/:#$-])
    (?P<prefix>(?:usd|us\$)\s*|\$\s*)?
    (?P<number>{_NUMBER})
    (?:(?P<suffix>\s*(?:dollars?|dolars?|bucks|usd)\b|\$(?!\.?\d))|(?![.,:/-]?\d|\w|-\w))""",
    re.IGNORECASE | re.VERBOSE,
)
OLD_NOT_MONEY_AFTER = re.compile(
    r"\s*(?:days?|weeks?|months?|years?|yrs?|hours?|hrs?|minutes?|mins?|am|pm|a\.m\.|p\.m\."
    r"|percent|times|digits?|o'?clock|invoices?|bills?|payments?)(?!\w)|\s*%",
    re.IGNORECASE,
)
PIECES = [" ", "  ", "\t", "$", "usd", "us$", "dollars", "dolar", "bucks", "1", "12", "345", ",",
          ",000", ".", ".5", "-", "/", ":", "x", "days", "pm", "%", "a.m.", "o'clock", "\n"]
texts = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)


def found(pattern: re.Pattern[str], text: str) -> list[tuple]:
    return [(m.span(), m.groupdict()) for m in pattern.finditer(text)]


@settings(max_examples=1000)
@given(texts)
def test_amounts_are_found_as_before(text):
    assert found(entities._AMOUNT, text) == found(OLD_AMOUNT, text)


@settings(max_examples=1000)
@given(texts, st.integers(min_value=0, max_value=12))
def test_words_after_a_number_are_read_as_before(text, at):
    new, old = entities._NOT_MONEY_AFTER.match(text, at), OLD_NOT_MONEY_AFTER.match(text, at)
    assert (new and new.span()) == (old and old.span())
