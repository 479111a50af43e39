"""The check that a text meant to be Spanish has no English sentence in it: words a Spanish
sentence never has. Links are left out (they are paths, not words)."""

from __future__ import annotations

import re

ENGLISH = re.compile(r"\b(the|your|you|please|payment|was|has been|and|with|autopay|will)\b",
                     re.IGNORECASE)
_LINK = re.compile(r"https?://\S+")


def assert_spanish(text: str) -> None:
    found = ENGLISH.search(_LINK.sub("", text))
    assert text and found is None, f"English ({found and found.group()!r}) in: {text!r}"
