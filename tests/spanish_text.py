"""The check that a text meant to be Spanish has no English sentence in it, for unit, page and
Telegram tests: the one English-leak detector (tests/e2e/spanish/english_leaks.py). Links are
left out (they are paths, not words)."""

from __future__ import annotations

from tests.e2e.spanish.english_leaks import assert_no_english


def assert_spanish(text: str) -> None:
    assert text, "an empty text"
    assert_no_english([text])
