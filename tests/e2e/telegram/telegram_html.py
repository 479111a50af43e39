"""Telegram's HTML parse mode, as strict as the Bot API documentation's "HTML style" section:
the text a member sees, or Telegram's "can't parse entities" refusal.

- only these tags: b strong i em u ins s strike del tg-spoiler, span class="tg-spoiler",
  a href, code, pre, blockquote [expandable], tg-emoji emoji-id, tg-time unix [format];
- every `<`, `>` and `&` that is not part of a tag or an entity is escaped; the named entities
  are &lt; &gt; &amp; &quot; only, numeric ones all;
- tags close in order; pre and code contain no other entity (but a code in a pre, which names
  the language); a blockquote is never in a blockquote, nor a link in a link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'"
                  r"|[^\s>\"']+))?)*)\s*>")
_ATTRIBUTE = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>\"']+)))?")
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]*);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
# Each tag and the attributes it may carry (Telegram ignores none: an unknown one is refused).
_TAGS: dict[str, frozenset[str]] = {
    **{name: frozenset() for name in ("b", "strong", "i", "em", "u", "ins", "s", "strike",
                                      "del", "tg-spoiler", "pre")},
    "span": frozenset({"class"}), "a": frozenset({"href"}), "code": frozenset({"class"}),
    "blockquote": frozenset({"expandable"}), "tg-emoji": frozenset({"emoji-id"}),
    "tg-time": frozenset({"unix", "format"}),
}
_VERBATIM = frozenset({"pre", "code"})  # contain no other entity
_SPECIAL = re.compile(r"[<>&]")


class HtmlRefused(ValueError):
    """Telegram's description, after "Bad Request: "."""


@dataclass
class _Open:
    name: str
    offset: int


def parse_html(text: str) -> str:
    """The text without its markup, as the member sees it; HtmlRefused when Telegram refuses
    it."""
    shown: list[str] = []
    stack: list[_Open] = []
    position = 0
    try:
        while (found := _SPECIAL.search(text, position)) is not None:
            shown.append(text[position:found.start()])
            position = found.start()
            if found[0] == "<":
                match = _TAG.match(text, position)
                if match is None:
                    raise _Problem("Unsupported start tag at byte offset {offset}")
                _tag(match, stack, position)
                position = match.end()
            elif found[0] == "&":
                match = _ENTITY.match(text, position)
                if match is None:
                    raise _Problem("Character '&' is reserved and must be escaped at byte "
                                   "offset {offset}")
                shown.append(_entity(match[1]))
                position = match.end()
            else:
                raise _Problem("Character '>' is reserved and must be escaped at byte offset "
                               "{offset}")
    except _Problem as problem:  # the offset is counted only for a refusal: it costs
        raise _refused(problem.args[0].format(offset=len(text[:position].encode()))) from None
    shown.append(text[position:])
    if stack:
        raise _refused(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    return "".join(shown)


class _Problem(Exception):
    """A refusal whose "{offset}" is the byte offset where parsing stopped."""


def _tag(match: re.Match, stack: list[_Open], position: int) -> None:
    closing, name, attributes = match[1] == "/", match[2].lower(), match[3]
    if closing:
        if not stack:
            raise _Problem("Unexpected end tag at byte offset {offset}")
        if stack[-1].name != name:
            raise _Problem(f'Unmatched end tag at byte offset {{offset}}, expected '
                           f'"</{stack[-1].name}>", found "</{name}>"')
        stack.pop()
        return
    allowed = _TAGS.get(name)
    if allowed is None:
        raise _Problem(f'Unsupported start tag "{name}" at byte offset {{offset}}')
    values = {found[1].lower(): found[2] or found[3] or found[4] or ""
              for found in _ATTRIBUTE.finditer(attributes)}
    for attribute in values:
        if attribute not in allowed:
            raise _Problem(f'Unsupported attribute "{attribute}" of tag "{name}" at byte '
                           f'offset {{offset}}')
    _check_nesting(name, values, stack)
    stack.append(_Open(name, position))


def _check_nesting(name: str, values: dict[str, str], stack: list[_Open]) -> None:
    inside = {opened.name for opened in stack}
    if name == "span" and values.get("class") != "tg-spoiler":
        raise _Problem('Tag "span" must have class "tg-spoiler" at byte offset {offset}')
    if name == "a" and not values.get("href"):
        raise _Problem('Tag "a" must have attribute "href" at byte offset {offset}')
    if name == "code" and "class" in values and not (
            stack and stack[-1].name == "pre" and values["class"].startswith("language-")):
        raise _Problem("Programming language can be specified only for a code tag in a pre "
                       "tag, at byte offset {offset}")
    if inside & _VERBATIM and not (name == "code" and stack[-1].name == "pre"):
        raise _Problem(f'Entities can\'t be nested in "{stack[-1].name}" at byte offset '
                       f"{{offset}}")
    if name in inside and name in ("a", "blockquote"):
        raise _Problem(f'Tag "{name}" can\'t be nested in itself at byte offset {{offset}}')


def _entity(body: str) -> str:
    if body.startswith("#"):
        number = int(body[2:], 16) if body[1] in "xX" else int(body[1:])
        if not 0 < number <= 0x10FFFF or 0xD800 <= number <= 0xDFFF:
            raise _Problem("Invalid numeric HTML entity at byte offset {offset}")
        return chr(number)
    if body not in _NAMED:
        raise _Problem(f'Unsupported HTML entity "&{body};" at byte offset {{offset}}')
    return _NAMED[body]


def _refused(reason: str) -> HtmlRefused:
    return HtmlRefused(f"can't parse entities: {reason}")
