"""Entities in a member's message: amounts, dates, payment references, member ids, and whatever
the `regex:` and `lookup:` sections of nlu.yml add.

Values come out normalized: amounts in integer cents (parsed as strictly as the payment form
parses them), dates as ISO `YYYY-MM-DD`, references as `HC-XXXX-XXXX`, member ids as 12 digits.
Card numbers, SSNs and phone numbers are masked first, so no part of one is ever taken for an
amount or an id.

Amounts, shares and dates read English always, and the member's language on top when its
data/languages/<code>/words.yml says how ("cien dolares", "la mitad", "el 23 de diciembre"),
matched without accents.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from dialogs.engine.nlu.dates import find_dates
from dialogs.engine.nlu.number_words import find_number_words
from dialogs.engine.nlu.redaction import (
    CARD_PLACEHOLDER,
    card_number_spans,
    contains_card_number,
    redact_card_numbers,
)
from dialogs.engine.nlu.spans import SpanSet
from dialogs.engine.nlu.training_data import NluData, TrainingDataError
from services import language_words
from services.errors import InvalidAmount
from services.money import parse_amount
from services.references import format_reference
from services.references import normalize_reference as checked_reference

__all__ = ["BUILTIN_ENTITIES", "EntityExtractor", "contains_card_number", "redact_card_numbers"]

BUILTIN_EXTRACTOR = "HealthPayEntityExtractor"
REGEX_EXTRACTOR = "RegexEntityExtractor"

# Payment references (services.references): HC plus two groups of four from an alphabet
# without 0/1/I/L/O/U. With the HC prefix the shape is enough: the payment lookup tells a
# mistyped one apart. Without it, words like "best debt" have the shape too, so a bare code
# needs a letter, a digit and a correct check character.
_REF = "[2-9A-HJKMNP-TV-Z]{4}"
_REFERENCE = re.compile(
    rf"(?<![\w-])(?:(?P<prefix>HC)[ -]?)?(?P<a>{_REF})[ -]?(?P<b>{_REF})(?![\w-])", re.I
)

# Exactly twelve digits, grouped 4-4-4 or not, never a piece of a longer number.
_MEMBER_ID = re.compile(r"(?<!\d)(?<!\d[ -])\d{4}(?P<sep>[ -]?)\d{4}(?P=sep)\d{4}(?![ -]?\d)")

_NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+"
# Whitespace runs are possessive (\s*+): what follows them never starts with a space, so
# giving spaces back could never help a match, and each run is scanned once instead of once
# per alternative and per way of splitting it (a member's text can be thousands of spaces).
_CURRENCY_AFTER = r"dollars?|dolars?|bucks|usd"


def _amount_pattern(currency_after: str) -> re.Pattern[str]:
    return re.compile(
        rf"""(?<![\w.,/:#$-])
        (?P<prefix>(?:usd|us\$)\s*+|\$\s*+)?
        (?P<number>{_NUMBER})
        (?:(?P<suffix>\s*+(?:{currency_after})\b|\$(?!\.?\d))|(?![.,:/-]?\d|\w|-\w))""",
        re.IGNORECASE | re.VERBOSE,
    )


_AMOUNT = _amount_pattern(_CURRENCY_AFTER)
# A bare number is an amount unless it counts something else or names something.
_NOT_MONEY_AFTER = re.compile(
    r"\s*+(?:days?|weeks?|months?|years?|yrs?|hours?|hrs?|minutes?|mins?|am|pm|a\.m\.|p\.m\."
    r"|percent|times|digits?|o'?clock|invoices?|bills?|payments?|cents?)(?!\w)|\s*+%",
    re.IGNORECASE,
)
_NOT_MONEY_BEFORE = re.compile(
    r"(?:\b(?:ending|ends)(?:\s+(?:in|with))?|\bend\s+(?:in|with)"
    r"|\blast\s+(?:4|four)\b\D{0,25}|\bssn\b\D{0,20}|\bsocial\s+security\b\D{0,20}"
    r"|#|\bno\.|\blast"
    r"|\b(?:number|zip|code|pin|box|option|step|id|apt|apartment|suite|unit|plan))\s*:?\s*$",
    re.IGNORECASE,
)
# "everything I paid in 2026": a year, not $2,026.
_YEAR_CONTEXT = re.compile(r"\b(?:in|since|during|of|year)\s+$", re.IGNORECASE)
_YEAR = re.compile(r"(?:19|20)\d\d")
_MONEY_WORD_AFTER = re.compile(rf"\s*(?:{_CURRENCY_AFTER})\b", re.IGNORECASE)
_CENTS_AFTER = re.compile(r"\s*(?:and\s+)?(?:(?P<digits>\d{1,2})|(?P<words>[a-z][a-z -]*?))"
                          r"\s*cents?\b", re.IGNORECASE)
# A share of what is owed, for the form that knows the balance to turn into cents: "the full
# amount", "everything I owe", "all of it", "half".
_SHARES = (
    ("full", re.compile(
        r"\b(?:(?:the\s+)?(?:full|whole|entire|total)(?:\s+(?:amount|balance|thing|bill|sum))?"
        r"|everything(?:\s+i\s+owe)?|all\s+of\s+it|(?:pay\s+)?it\s+all|all\s+i\s+owe"
        r"|in\s+full|(?:the\s+)?amount\s+due|^\s*all\s*$)\b",
        re.IGNORECASE)),
    ("half", re.compile(r"\bhalf\b(?:\s+of\s+(?:it|that|what\s+i\s+owe|the\s+\w+))?",
                        re.IGNORECASE)),
)
_BARE_MAX_DIGITS = 6  # a bare 7+ digit number is an account, phone or id, not a premium


@dataclass(frozen=True)
class AmountWords:
    """How amounts are said: English's patterns, or those with a language's words added."""

    amount: re.Pattern[str]
    money_after: re.Pattern[str]
    not_money_after: re.Pattern[str]
    not_money_before: re.Pattern[str]
    shares: tuple[tuple[str, re.Pattern[str]], ...]


ENGLISH_AMOUNTS = AmountWords(_AMOUNT, _MONEY_WORD_AFTER, _NOT_MONEY_AFTER, _NOT_MONEY_BEFORE,
                              _SHARES)


@lru_cache(maxsize=16)
def amount_words(language: str | None) -> AmountWords:
    """English's patterns with `language`'s words.yml `amounts:` added ("100 dolares", "3 dias"
    is no amount, "la mitad"); the text they scan is plain (no accents)."""
    spec = language_words.section(language, "amounts")
    if not spec:
        return ENGLISH_AMOUNTS
    alternation = language_words.alternation
    currency = alternation(spec.get("currency_after") or ()) or "(?!)"
    after = alternation(spec.get("not_money_after") or ()) or "(?!)"
    before = alternation(spec.get("not_money_before") or ()) or "(?!)"
    shares = spec.get("shares") or {}
    return AmountWords(
        amount=_amount_pattern(f"{_CURRENCY_AFTER}|{currency}"),
        money_after=re.compile(rf"\s*(?:{_CURRENCY_AFTER}|{currency})\b", re.IGNORECASE),
        not_money_after=re.compile(rf"{_NOT_MONEY_AFTER.pattern}|\s*+(?:{after})(?!\w)",
                                   re.IGNORECASE),
        not_money_before=re.compile(rf"{_NOT_MONEY_BEFORE.pattern}|\b(?:{before})\s*:?\s*$",
                                    re.IGNORECASE),
        shares=tuple(_SHARES) + tuple(
            (value, _compile("|".join(f"(?:{p})" for p in patterns), f"amounts.shares.{value}"))
            for value, patterns in shares.items() if patterns),
    )

# Never read as anything: SSNs, phone numbers, and where a card number was redacted.
_MASKS = (
    re.compile(re.escape(CARD_PLACEHOLDER)),
    re.compile(r"(?<![\d-])\d{3}(?P<sep>[ -]?)\d{2}(?P=sep)\d{4}(?![\d-])"),
    re.compile(r"(?<!\d)(?:\+?1[ .-]?)?\(?\d{3}\)?[ .-]?\d{3}[ .-]\d{4}(?!\d)"),
)

BUILTIN_ENTITIES = ("payment_reference", "member_id", "date", "amount")
SHARE_ENTITY = "amount_share"  # "full" or "half" of what is owed


def normalize_reference(text: str) -> str | None:
    match = _REFERENCE.fullmatch(text.strip())
    return _reference_value(match) if match else None


def _reference_value(match: re.Match[str]) -> str | None:
    code = (match["a"] + match["b"]).upper()
    if match["prefix"]:
        return format_reference(code)
    if code.isdigit() or code.isalpha():
        return None
    return checked_reference(code)


def normalize_member_id(text: str) -> str | None:
    digits = re.sub(r"\D", "", text)
    return digits if len(digits) == 12 else None


def parse_money(text: str) -> int | None:
    try:
        return parse_amount(text)
    except InvalidAmount:
        return None


def _first_date(text: str, today: dt.date) -> str | None:
    found = find_dates(text, today)
    return found[0][2].isoformat() if found else None


# How a match of an nlu.yml `regex:` named after a built-in entity becomes a value.
_NORMALIZERS: dict[str, Callable[[str, dt.date], Any]] = {
    "payment_reference": lambda text, today: normalize_reference(text),
    "member_id": lambda text, today: normalize_member_id(text),
    "amount": lambda text, today: parse_money(text),
    "date": _first_date,
}


class EntityExtractor:
    """Built from the training data once; `extract` is called for every message."""

    def __init__(self, regexes: Mapping[str, Sequence[str]],
                 lookups: Mapping[str, Sequence[str]], synonyms: Mapping[str, str]):
        self.config = {"regexes": {k: list(v) for k, v in regexes.items()},
                       "lookups": {k: sorted(v) for k, v in lookups.items()},
                       "synonyms": dict(synonyms)}
        self._builtin_patterns = {
            name: [_compile(p, name) for p in regexes.get(name, ())]
            for name in BUILTIN_ENTITIES
        }
        self._regex_patterns = [
            (name, _compile(p, name))
            for name, patterns in regexes.items() if name not in BUILTIN_ENTITIES
            for p in patterns
        ]
        self._lookup_patterns = [
            (name, _lookup_pattern(terms)) for name, terms in lookups.items() if terms
        ]
        self._synonyms = dict(synonyms)

    @classmethod
    def from_data(cls, data: NluData) -> EntityExtractor:
        """The data's regexes, synonyms and lookup tables, plus the annotated values of every
        entity with no pattern of its own (built in or a `regex:`): for those, what the
        examples show is all there is to find. The result goes into the cache, so no card
        number does, even one annotated in the data."""
        lookups = {name: set(terms) for name, terms in data.lookups.items()}
        for example in data.examples:
            for annotation in example.entities:
                if annotation.entity not in BUILTIN_ENTITIES + tuple(data.regexes):
                    lookups.setdefault(annotation.entity, set()).add(annotation.text)
        lookups = {name: {t for t in terms if not contains_card_number(t)}
                   for name, terms in lookups.items()}
        synonyms = {surface: value for surface, value in data.synonyms.items()
                    if not contains_card_number(f"{surface} {value}")}
        return cls(data.regexes, lookups, synonyms)

    def extract(self, text: str, today: dt.date,
                language: str | None = None) -> list[dict[str, Any]]:
        """The entities of `text`; amounts, shares and dates read in English and in
        `language` (the member's)."""
        taken = SpanSet()
        for start, end in card_number_spans(text):
            taken.claim(start, end)
        for mask in _MASKS:
            for match in mask.finditer(text):
                taken.claim(*match.span())
        entities: list[dict[str, Any]] = []
        for entity, start, end, value, processors in self._candidates(text, today, language):
            if taken.claim(start, end):
                found = {"entity": entity, "start": start, "end": end, "value": value,
                         "extractor": BUILTIN_EXTRACTOR if entity in BUILTIN_ENTITIES
                         else REGEX_EXTRACTOR}
                if processors:
                    found["processors"] = processors
                entities.append(found)
        return sorted(entities, key=lambda e: e["start"])

    def entity_spans(self, text: str, today: dt.date,
                     language: str | None = None) -> list[tuple[str, int, int]]:
        return [(e["entity"], e["start"], e["end"]) for e in self.extract(text, today, language)]

    def _candidates(self, text: str, today: dt.date, language: str | None) -> Iterator[tuple]:
        """(entity, start, end, value, processors) in priority order: earlier ones win. The
        patterns nlu.yml declares come before the guesswork of dates and bare numbers."""
        for match in _REFERENCE.finditer(text):
            reference = _reference_value(match)
            if reference is not None:
                yield ("payment_reference", *match.span(), reference, None)
        for match in _MEMBER_ID.finditer(text):
            yield ("member_id", *match.span(), normalize_member_id(match.group()), None)
        for name, patterns in self._builtin_patterns.items():
            for pattern in patterns:
                for match in pattern.finditer(text):
                    value = _NORMALIZERS[name](match.group(), today)
                    if value is not None:
                        yield (name, *match.span(), value, None)
        for name, pattern in self._regex_patterns:
            yield from self._custom(name, pattern, text)
        for start, end, value in find_dates(text, today, language):
            yield ("date", start, end, value.isoformat(), None)
        words = amount_words(language)
        # A language's words match without accents: the same text, one character for one.
        scanned = text if words is ENGLISH_AMOUNTS else language_words.plain(text)
        for match in words.amount.finditer(scanned):
            cents = _amount(scanned, match, words)
            if cents is not None:
                yield ("amount", *match.span(), cents, None)
        for start, end, value in find_number_words(text, language):
            found = _amount_in_words(scanned, start, end, value, words)
            if found is not None:
                yield ("amount", start, found[0], found[1], None)
        for value, pattern in words.shares:
            for match in pattern.finditer(scanned):
                yield (SHARE_ENTITY, *match.span(), value, None)
        # Among lookup tables the longest phrase wins: "safe to use my card" is a question
        # (faq_topic) before "card" in it is a method.
        found = [c for name, pattern in self._lookup_patterns
                 for c in self._custom(name, pattern, text)]
        yield from sorted(found, key=lambda c: (c[1] - c[2], c[1]))

    def _custom(self, name: str, pattern: re.Pattern[str], text: str) -> Iterator[tuple]:
        for match in pattern.finditer(text):
            surface = match.group()
            value = self._synonyms.get(surface.lower(), surface)
            yield (name, *match.span(), value,
                   ["EntitySynonymMapper"] if value != surface else None)


def _amount(text: str, match: re.Match[str], words: AmountWords = ENGLISH_AMOUNTS) -> int | None:
    number = match["number"]
    if not (match["prefix"] or match["suffix"]):
        integer_digits = number.split(".")[0]
        if (
            ("," not in integer_digits and len(integer_digits) > _BARE_MAX_DIGITS)
            or words.not_money_after.match(text, match.end())
            or words.not_money_before.search(text[max(0, match.start() - 40):match.start()])
            or (_YEAR.fullmatch(number) and _YEAR_CONTEXT.search(text, 0, match.start()))
        ):
            return None
    return parse_money(number)


def _amount_in_words(text: str, start: int, end: int, value: int,
                     words: AmountWords = ENGLISH_AMOUNTS) -> tuple[int, int] | None:
    """(end, cents) of "a hundred and fifty dollars" or a bare "fifty"; None when the words
    count something else ("three days") or are just "one" or "a" ("one question")."""
    suffix = words.money_after.match(text, end)
    if suffix:
        if value <= 0:
            return None
        cents = _CENTS_AFTER.match(text, suffix.end())
        if cents:  # "fifty dollars and 25 cents"
            count = int(cents["digits"]) if cents["digits"] else next(
                (v for s, _, v in find_number_words(cents["words"]) if s == 0), 100)
            if count < 100:
                return cents.end(), value * 100 + count
        return suffix.end(), value * 100
    if (value <= 1 or words.not_money_after.match(text, end)
            or words.not_money_before.search(text[max(0, start - 40):start])):
        return None
    return end, value * 100


def _compile(pattern: str, name: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as error:
        raise TrainingDataError(
            f"regex {name!r}: {pattern!r} is not a valid pattern: {error}"
        ) from error


def _lookup_pattern(terms: set[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
