"""A service's refusal in the member's language.

A DomainError carries its English message, and, where a language may say it otherwise, a `key`
and the `values` it was raised with. The texts are data: data/languages/<code>/errors.yml,
`errors: {key: template}`. Values are formatted for the language here, by their type and name:
a date reads as a long date ("23 de diciembre de 2026"); a value whose name ends in `_cents`
reads as dollars and fills the placeholder without the suffix (`owed_cents` fills `{owed}`).
A language with no text for the key, or an error with no key, gives the English message.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

import yaml

from services import formatting
from services.errors import DomainError

LANGUAGES_DIR = Path(__file__).resolve().parent.parent / "data" / "languages"
CENTS_SUFFIX = "_cents"


@lru_cache(maxsize=1)
def _texts() -> dict[str, dict[str, str]]:
    found = {}
    for path in sorted(LANGUAGES_DIR.glob("*/errors.yml")):
        found[path.parent.name] = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) \
            .get("errors") or {}
    return found


def error_text(error: DomainError, language: str | None) -> str:
    template = (_texts().get(language or "") or {}).get(error.key or "")
    if template is None:
        return error.message
    return template.format(**formatted_values(error.values, language))


def formatted_values(values: dict[str, object], language: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in values.items():
        if name.endswith(CENTS_SUFFIX) and isinstance(value, int):
            out[name[: -len(CENTS_SUFFIX)]] = formatting.money(value, language)
        elif isinstance(value, dt.datetime):
            out[name] = formatting.long_date(value.date(), language)
        elif isinstance(value, dt.date):
            out[name] = formatting.long_date(value, language)
        else:
            out[name] = str(value)
    return out
