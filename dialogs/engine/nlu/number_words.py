"""Numbers written in words ("one hundred", "a hundred and fifty", "ciento cincuenta"), found
with their place in the text. text2num reads them; this module only finds where a run of
number words starts and ends, so entities keep offsets into the member's own text.

English runs are always found. A language with `numbers:` in its data/languages/<code>/words.yml
adds its own runs (its words, the words that join them: "treinta y cinco"), matched without
accents and read by text2num in that language."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from text_to_num import text2num

from services import language_words

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


@dataclass(frozen=True)
class _NumberWords:
    code: str  # text2num's language
    run: re.Pattern[str]
    respell: dict[str, str]


def find_number_words(text: str, language: str | None = None) -> Iterator[tuple[int, int, int]]:
    """(start, end, value) of each run of number words, left to right: English ones, and
    `language`'s."""
    found = sorted([*_english_runs(text), *_language_runs(text, language)])
    end = -1
    for start, stop, value in found:
        if start >= end:  # never two readings of the same words
            yield start, stop, value
            end = stop


def _english_runs(text: str) -> Iterator[tuple[int, int, int]]:
    for match in _RUN.finditer(text):
        words = re.sub(r"^an?\s+", "one ", match.group().lower())
        words = " ".join(re.split(r"[\s-]+", words))
        try:
            value = text2num(words, "en")
        except ValueError:
            continue  # "five five": words, but no one number
        yield match.start(), match.end(), value


def _language_runs(text: str, language: str | None) -> Iterator[tuple[int, int, int]]:
    numbers = _number_words(language)
    if numbers is None:
        return
    for match in numbers.run.finditer(language_words.plain(text)):
        words = [numbers.respell.get(word, word) for word in match.group().split()]
        try:
            value = text2num(" ".join(words), numbers.code)
        except ValueError:
            continue
        yield match.start(), match.end(), value


@lru_cache(maxsize=16)
def _number_words(language: str | None) -> _NumberWords | None:
    spec = language_words.section(language, "numbers")
    if not spec.get("text2num") or not spec.get("words"):
        return None
    word = rf"(?:{language_words.alternation(spec['words'])})"
    joiners = language_words.alternation(spec.get("joiners") or ())
    # Possessive runs of spaces: a long run is scanned once, never given back space by space.
    join = rf"(?:\s++(?:{joiners})\s++|\s++)" if joiners else r"\s++"
    return _NumberWords(
        code=str(spec["text2num"]),
        run=re.compile(rf"(?<![\w-]){word}(?:{join}{word})*(?![\w-])"),
        respell={language_words.plain(k): str(v) for k, v in (spec.get("respell") or {}).items()},
    )
