"""Pushed notices in the member's language: templates in data/languages/<code>/notices.yml
(`texts:` by notice name, `plans:` plan names, `brands:` method brands that are words, like
"Checking", `buttons:` titles by payload), filled with dates and amounts formatted for that
language (services/formatting.py). A language without a template for a notice gets the
English one.

Values are formatted by their type and name, as services/error_texts.py does for refusals: a
value named `*_cents` reads as dollars and fills the placeholder without the suffix
(`amount_cents` fills `{amount}`); a date named `*month` reads as the month's name, any other
date as a short day ("Wed, Dec 23" / "mié, 23 dic"); anything else as it is.

Language folders are read from data/languages/, and from any folder added with
use_language_dirs (a test's made-up language, or a deployment's own): adding a language stays
data only."""

from __future__ import annotations

import datetime as dt
import logging
from functools import lru_cache

from services import formatting
from services.language_files import (  # noqa: F401 (use_language_dirs: tests and deployments)
    LANGUAGES_DIR,
    language_files,
    on_change,
    use_language_dirs,
)
from services.outbox import Buttons

DEFAULT_LANGUAGE = "en"
CENTS_SUFFIX = "_cents"

logger = logging.getLogger(__name__)


def _notices() -> dict[str, dict]:
    return language_files("notices.yml")


@lru_cache(maxsize=1024)  # planning words 100,000 notices from a few dozen texts
def _lookup(language: str | None, section: str, key: str) -> str | None:
    for code in (language, DEFAULT_LANGUAGE):
        value = ((_notices().get(code or "") or {}).get(section) or {}).get(key)
        if value is not None:
            return value
    return None


def notice_text(language: str | None, name: str, **values: object) -> str:
    template = _lookup(language, "texts", name)
    if template is None:
        raise KeyError(f"no notice text {name!r} in data/languages/{DEFAULT_LANGUAGE}")
    try:
        return template.format(**formatted(values, language))
    except (KeyError, IndexError, ValueError):
        if language in (None, DEFAULT_LANGUAGE):
            raise
        # A language's text that names a value the notice does not have is a bug in its data:
        # the member still gets the notice (in English), and planning goes on for the others.
        logger.exception("notices.yml text %r (%s) does not fit its values", name, language)
        return notice_text(DEFAULT_LANGUAGE, name, **values)


def notice_lines(language: str | None, *parts: tuple[str, dict] | None) -> str:
    """Sentences from several templates, one after the other: (name, values) pairs; None
    stands for a sentence this notice leaves out."""
    return " ".join(notice_text(language, name, **values) for name, values in filter(None, parts))


def formatted(values: dict[str, object], language: str | None) -> dict[str, object]:
    out: dict[str, object] = {}
    for name, value in values.items():
        if isinstance(value, str):  # most values: a name or a text already worded
            out[name] = value
        elif name.endswith(CENTS_SUFFIX) and isinstance(value, int):
            out[name[: -len(CENTS_SUFFIX)]] = formatting.money(value, language)
        elif isinstance(value, dt.datetime):
            out[name] = formatting.short_day(value.date(), language)
        elif isinstance(value, dt.date):
            out[name] = (formatting.month_name(value, language) if name.endswith("month")
                         else formatting.short_day(value, language))
        else:
            out[name] = value
    return out


def plan_name(language: str | None, kind: str) -> str:
    return _lookup(language, "plans", kind) or kind


@lru_cache(maxsize=8192)  # a member's method is named in each of their notices
def method_name(language: str | None, brand: str, last4: str, nickname: str | None) -> str:
    """"Visa ending in 4242" / "Work: Cuenta corriente que termina en 6789": a saved method as
    services.payment_methods.label_of says it in English."""
    brand = _lookup(language, "brands", brand) or brand
    if nickname:
        return notice_text(language, "method_nicknamed", brand=brand, last4=last4,
                           nickname=nickname)
    return notice_text(language, "method", brand=brand, last4=last4)


def buttons_in(language: str | None, buttons: Buttons) -> Buttons:
    """The same buttons (same payloads), titled in the language where it has a title."""
    return [{**b, "title": _lookup(language, "buttons", b["payload"]) or b["title"]}
            for b in buttons]


# Looked-up texts are forgotten when the language folders change.
on_change(_lookup.cache_clear)
on_change(method_name.cache_clear)
