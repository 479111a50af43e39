"""The parts of a message that may carry its main request: "…so how much do I owe" in a long
story, "how much i owe? thanks", "looks good thanks". The interpreter classifies them when
the whole message reads as small talk or too unsure to act on (interpreter.py)."""

from __future__ import annotations

import re

# Where a message breaks into parts: sentence ends, and the words that turn to the request.
_BREAKS = re.compile(r"[.?!;\n]+|,\s*(?:so|but|and|anyway)\b|\s(?:so|but|anyway)\s", re.I)
# Greetings and politeness around a request: "hi! …", "… thanks", "ok so …".
_LEADING = re.compile(r"^(?:(?:hi|hey|hello|ok|okay|so|um|uh|well|yeah|thanks|thank you)"
                      r"\b[\s,!.]*)+", re.I)
# It starts where a run of separators starts (the lookbehind): tried from every position in a
# long run, the run's tail would be matched again from each, quadratic in the run's length.
_TRAILING = re.compile(r"(?<![\s,!.])(?:[\s,!.]*\b(?:thanks|thank you|thx|please|pls|rn|now"
                       r"|then|again))+[\s,!.?]*$", re.I)


def request_parts(text: str) -> list[tuple[int, int]]:
    """(start, end) of each part of `text` worth classifying alone: its sentences and clauses,
    and the whole without greetings and politeness, each trimmed the same way. The whole
    text itself is left out, and so are empty parts."""
    cuts = [0, *(i for m in _BREAKS.finditer(text) for i in m.span()), len(text)]
    pieces = {(cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2)} | {(0, len(text))}
    parts = set()
    for start, end in pieces:
        start, end = _trimmed(text, start, end)
        if start < end and (start, end) != (0, len(text)):
            parts.add((start, end))
    return sorted(parts)


def without_politeness(text: str) -> tuple[int, int]:
    """(start, end) of `text` without the greetings and politeness around it."""
    return _trimmed(text, 0, len(text))


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    piece = text[start:end]
    lead = _LEADING.match(piece)
    start += lead.end() if lead else 0
    trail = _TRAILING.search(text[start:end])
    end = start + trail.start() if trail else end
    while start < end and not text[start].isalnum() and text[start] != "$":
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return start, end
