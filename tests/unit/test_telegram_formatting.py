"""The bot's text as Telegram HTML: escaped, emphasis in bold, split to Telegram's length."""

from __future__ import annotations

import html
import re

from hypothesis import given
from hypothesis import strategies as st

from bot.telegram.formatting import (
    MAX_MESSAGE_LENGTH,
    split_html,
    to_html,
    utf16_length,
    with_choice,
)


def visible(chunk: str) -> str:
    return html.unescape(re.sub(r"</?b>", "", chunk))


def test_member_provided_text_is_escaped():
    assert to_html("<script>alert(1)</script> & <b>") == \
        "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;"


def test_emphasis_from_the_responses_becomes_bold():
    assert to_html("type *payment methods* for a link") == \
        "type <b>payment methods</b> for a link"


def test_a_short_text_is_one_message():
    assert split_html("Hello!\n\nHow can I help?") == ["Hello!\n\nHow can I help?"]


def test_a_long_text_is_cut_at_paragraphs_first():
    paragraphs = ["a" * 3000, "b" * 3000, "c" * 100]
    assert split_html("\n\n".join(paragraphs)) == ["a" * 3000, "b" * 3000 + "\n\n" + "c" * 100]


def test_a_long_paragraph_is_cut_at_lines_then_words():
    lines = "\n".join(["word " * 100] * 12)  # one paragraph of 6,000 characters
    chunks = split_html(lines)
    assert len(chunks) == 2 and all(chunk.endswith("word") for chunk in chunks)


def test_escaping_is_counted_and_never_cut_in_half():
    chunks = split_html("&" * 5000)
    assert all(len(chunk) <= MAX_MESSAGE_LENGTH for chunk in chunks)
    assert all(re.fullmatch(r"(&amp;)+", chunk) for chunk in chunks)
    assert sum(chunk.count("&amp;") for chunk in chunks) == 5000


def test_the_chosen_option_is_added_and_escaped():
    assert with_choice("Pay $10?", "Yes <now>", "✓ You chose:") \
        == "Pay $10?\n\n✓ You chose: <b>Yes &lt;now&gt;</b>"
    assert with_choice("x" * 4090, "Confirm", "✓ You chose:") is None


@given(st.text(alphabet=st.sampled_from("ab <&>*\n 😀"), max_size=12_000),
       st.integers(min_value=20, max_value=MAX_MESSAGE_LENGTH))
def test_every_part_fits_and_nothing_is_lost(text, limit):
    chunks = split_html(text, limit)
    assert all(utf16_length(chunk) <= limit for chunk in chunks)
    # Only whitespace at the cuts, and the asterisks emphasis turned into bold, may go.
    def kept(value: str) -> str:
        return "".join(value.split()).replace("*", "")

    assert kept("".join(visible(chunk) for chunk in chunks)) == kept(text)
