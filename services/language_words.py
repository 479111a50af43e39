"""The words a language uses for what HealthPay reads out of free text: numbers, amounts, shares
of a bill, dates, reminder days, quiet hours, and the words that leave or question a prompt.

They are data, one file per language: data/languages/<code>/words.yml. English is the built-in
reading (the parsers' own patterns); a language's file adds its words on top, so a member who
mixes in English ("el autopay", "next friday") is still understood. A language without the file
reads as English. Matching ignores accents (`plain`): members often type none.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from services.language_files import language_dirs, language_file, language_files

WORDS_FILE = "words.yml"


def words(language: str | None) -> dict[str, Any]:
    """The words.yml of `language` (its sections by name), or {} for none."""
    return language_file(language, WORDS_FILE)


def all_words() -> dict[str, dict[str, Any]]:
    """Every language's words.yml, by language code."""
    return language_files(WORDS_FILE)


def fingerprint() -> bytes:
    """Every words.yml's bytes: what a model trained around these words depends on."""
    return b"\0".join(path.read_bytes() for directory in language_dirs()
                      for path in sorted(directory.glob(f"*/{WORDS_FILE}")))


def section(language: str | None, name: str) -> dict[str, Any]:
    return words(language).get(name) or {}


def plain(text: str) -> str:
    """`text` lower-cased without accents, one character for one ("Mañana" -> "manana"), so
    that offsets into it are offsets into `text`."""
    return text.lower() if text.isascii() else "".join(_plain_char(c) for c in text)


@lru_cache(maxsize=1024)
def _plain_char(char: str) -> str:
    lower = char.lower()
    if len(lower) != 1:  # "İ" lower-cases to two characters: kept as it is
        return char
    base = unicodedata.normalize("NFD", lower)[0]
    return base if base.isascii() else lower


def alternation(phrases: list[str] | tuple[str, ...] | set[str]) -> str:
    """A regex alternation of the phrases (plain, longest first, spaces as any whitespace)."""
    ordered = sorted({plain(str(p)) for p in phrases}, key=len, reverse=True)
    return "|".join(r"\s+".join(re.escape(part) for part in p.split()) for p in ordered if p)


def rewrite(text: str, rules: list[list[str]] | None) -> str:
    """`text` (plain) with each [pattern, replacement] of `rules` applied in order: how a
    language's phrasing becomes the English one the parsers read ("3 dias antes" ->
    "3 days before")."""
    for pattern, replacement in rules or ():
        text = re.sub(pattern, replacement, text)
    return " ".join(text.split())
