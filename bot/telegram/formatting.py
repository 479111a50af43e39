"""The bot's text as Telegram HTML: everything escaped (member-provided values end up in replies),
`*word*` emphasis from the responses made bold, and long replies split into messages Telegram
takes.
"""

from __future__ import annotations

import html
import re

# Telegram's limit: 4,096 characters after entities are parsed, counted in UTF-16 code units.
MAX_MESSAGE_LENGTH = 4096
_EMPHASIS = re.compile(r"\*([^*\n]+)\*")
_SEPARATORS = ("\n\n", "\n", " ")


def to_html(text: str) -> str:
    """Escape `text` for parse mode HTML; `*emphasis*` (as the domain's responses write it)
    becomes bold."""
    return _EMPHASIS.sub(r"<b>\1</b>", html.escape(text, quote=False))


def split_html(text: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """`text` as HTML messages of at most `limit` characters each, cut at paragraph breaks,
    else line breaks, else spaces, and only mid-word for a word longer than a message. Cut
    before escaping, so no tag or entity is ever split."""
    return [to_html(piece) for piece in split_text(text, limit)]


def split_text(text: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """The pieces of `text` that split_html makes messages of, before escaping."""
    return [piece.strip() for piece in _pieces(text.strip(), limit) if piece.strip()]


def with_choice(message_html: str, choice: str, heading: str,
                limit: int = MAX_MESSAGE_LENGTH) -> str | None:
    """The message with the option the member chose under it, after `heading` ("✓ You
    chose:", in the chat's language); None when that would not fit."""
    edited = (f"{message_html}\n\n{html.escape(heading, quote=False)} "
              f"<b>{html.escape(choice, quote=False)}</b>")
    return edited if utf16_length(edited) <= limit else None


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fits(piece: str, limit: int) -> bool:
    return utf16_length(to_html(piece)) <= limit


def _pieces(text: str, limit: int, separators: tuple[str, ...] = _SEPARATORS) -> list[str]:
    if _fits(text, limit):
        return [text]
    if not separators:
        return _hard_cut(text, limit)
    separator, finer = separators[0], separators[1:]
    pieces: list[str] = []
    current = ""
    for part in text.split(separator):
        candidate = f"{current}{separator}{part}" if current else part
        if _fits(candidate, limit):
            current = candidate
            continue
        if current:
            pieces.append(current)
        if _fits(part, limit):
            current = part
        else:
            pieces.extend(_pieces(part, limit, finer))
            current = ""
    if current:
        pieces.append(current)
    return pieces


def _hard_cut(text: str, limit: int) -> list[str]:
    pieces = []
    while text:
        size = min(len(text), limit)
        while size > 1 and not _fits(text[:size], limit):
            size -= max(1, size // 10) if size > 100 else 1
        pieces.append(text[:size])
        text = text[size:]
    return pieces
