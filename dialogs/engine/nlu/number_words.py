"""Numbers written in words ("one hundred", "a hundred and fifty", "twenty five"), found with
their place in the text. text2num reads them; this module only finds where a run of number
words starts and ends, so entities keep offsets into the member's own text."""

from __future__ import annotations

import re
from collections.abc import Iterator

from text_to_num import text2num

_UNITS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
          "fourteen fifteen sixteen seventeen eighteen nineteen")
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety"
_WORD = rf"(?:{'|'.join((_UNITS + ' ' + _TENS).split())})"
_SCALE = r"(?:hundred|thousand)"
# A run: number words joined by spaces, hyphens or "and", optionally led by "a"/"an" before a
# scale ("a hundred"). It must hold at least one real number word.
_RUN = re.compile(
    rf"(?<![\w-])(?:an?\s+(?={_SCALE}))?(?:{_WORD}|{_SCALE})"
    rf"(?:(?:\s+and\s+|[\s-]+)(?:{_WORD}|{_SCALE}))*(?![\w-])",
    re.IGNORECASE,
)


def find_number_words(text: str) -> Iterator[tuple[int, int, int]]:
    """(start, end, value) of each run of number words, left to right."""
    for match in _RUN.finditer(text):
        words = re.sub(r"^an?\s+", "one ", match.group().lower())
        words = " ".join(re.split(r"[\s-]+", words))
        try:
            value = text2num(words, "en")
        except ValueError:
            continue  # "five five": words, but no one number
        yield match.start(), match.end(), value
