"""A service's refusal in the member's language.

A DomainError carries its English message, and, where a language may say it otherwise, a `key`
and the `values` it was raised with. The texts are data: data/languages/<code>/errors.yml,
`errors: {key: template}`. Values are formatted for the language here, by their type and name:
a value whose name ends in `_cents` reads as dollars and fills the placeholder without the
suffix (`owed_cents` fills `{owed}`); a datetime whose name ends in `_time` reads as a clock
time in its own time zone ("3:45 p.m. EST"), so pass it already in the exchange's zone; any
other date or datetime reads as a long date ("23 de diciembre de 2026").
A language with no text for the key, or an error with no key, gives the English message.

Language folders are read from data/languages/, and from any folder added with
use_language_dirs (a test's made-up language, or a deployment's own folders): adding a language
stays data only.
"""

from __future__ import annotations

import datetime as dt
import logging
import string
from collections.abc import Iterable
from pathlib import Path

import yaml
from babel.dates import format_time

from services import formatting
from services.errors import DomainError
from services.language_files import (  # noqa: F401 (tests and deployments use them here)
    LANGUAGES_DIR,
    language_dirs,
    language_files,
    use_language_dirs,
)

CENTS_SUFFIX = "_cents"
TIME_SUFFIX = "_time"
_TIME_PATTERN = "h:mm a z"  # 3:45 PM EST / 3:45 p.m. EST

logger = logging.getLogger(__name__)


def load_error_texts(directories: Iterable[Path | str]) -> dict[str, dict[str, str]]:
    """{language code: {key: template}} from every <dir>/<code>/errors.yml."""
    found: dict[str, dict[str, str]] = {}
    for directory in directories:
        for path in sorted(Path(directory).glob("*/errors.yml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            found.setdefault(path.parent.name, {}).update(data.get("errors") or {})
    return found


def _texts() -> dict[str, dict[str, str]]:
    return {code: data.get("errors") or {}
            for code, data in language_files("errors.yml").items()}


def error_text(error: DomainError, language: str | None) -> str:
    template = (_texts().get(language or "") or {}).get(error.key or "")
    if template is None:
        return error.message
    try:
        return template.format(**formatted_values(error.values, language))
    except (KeyError, IndexError, ValueError):
        # A text that names a value the error does not carry is a bug in the data; the member
        # still gets a sentence (the English one), never a traceback.
        logger.exception("errors.yml text %r (%s) does not fit its values", error.key, language)
        return error.message


def placeholders(template: str) -> set[str]:
    """The `{names}` a template fills."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def placeholder_name(value_name: str) -> str:
    """The placeholder a value fills: `owed_cents` fills `{owed}`, any other its own name."""
    if value_name.endswith(CENTS_SUFFIX):
        return value_name[: -len(CENTS_SUFFIX)]
    return value_name


def formatted_values(values: dict[str, object], language: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in values.items():
        if name.endswith(CENTS_SUFFIX) and isinstance(value, int):
            out[placeholder_name(name)] = formatting.money(value, language)
        elif name.endswith(TIME_SUFFIX) and isinstance(value, dt.datetime):
            out[name] = format_time(value, _TIME_PATTERN, tzinfo=value.tzinfo,
                                    locale=formatting.locale_for(language))
        elif isinstance(value, dt.datetime):
            out[name] = formatting.long_date(value.date(), language)
        elif isinstance(value, dt.date):
            out[name] = formatting.long_date(value, language)
        else:
            out[name] = str(value)
    return out
