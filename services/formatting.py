"""Dates and amounts as a member reads them in their language, by Babel's CLDR data, for chat
responses and pushed notices alike. A language code (a data/languages folder name) maps to a
Babel locale; an unknown code reads as US English, the language every text has."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache

from babel.dates import format_date, format_skeleton
from babel.numbers import format_currency

DEFAULT_LOCALE = "en_US"
# The locales of the language folders; a folder's language.yml names its own (`locale:`),
# and dialogs register it here at start-up (register_locale), so services need no data path.
_LOCALES: dict[str, str] = {"en": "en_US", "es": "es_US"}


def register_locale(code: str, locale: str) -> None:
    _LOCALES[code] = locale
    _cached_clear()


def locale_for(language: str | None) -> str:
    return _LOCALES.get(language or "", DEFAULT_LOCALE)


@lru_cache(maxsize=4096)  # planning words thousands of bills due on the same few days
def money(cents: int, language: str | None = "en") -> str:
    """1234550 -> "$12,345.50" (en and es_US alike, as CLDR writes dollars in the US)."""
    return format_currency(Decimal(cents) / 100, "USD", locale=locale_for(language))


@lru_cache(maxsize=4096)
def short_day(date: dt.date, language: str | None = "en") -> str:
    """Wed, Dec 23 / mié, 23 dic"""
    return format_skeleton("MMMEd", date, locale=locale_for(language))


@lru_cache(maxsize=4096)
def long_date(date: dt.date, language: str | None = "en") -> str:
    """December 23, 2026 / 23 de diciembre de 2026"""
    return format_date(date, "long", locale=locale_for(language))


@lru_cache(maxsize=1024)
def month_name(date: dt.date, language: str | None = "en") -> str:
    """December / diciembre (the stand-alone name)"""
    return format_date(date, "LLLL", locale=locale_for(language))


def _cached_clear() -> None:
    for cached in (money, short_day, long_date, month_name):
        cached.cache_clear()
