"""Pushed notices in the member's language: templates in data/languages/<code>/notices.yml
(`texts:` by notice name, `plans:` plan names, `buttons:` titles by payload), filled with
dates and amounts formatted for that language (services/formatting.py). A language without
a template for a notice gets the English one."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from services.outbox import Buttons

LANGUAGES_DIR = Path(__file__).resolve().parent.parent / "data" / "languages"
DEFAULT_LANGUAGE = "en"


@lru_cache(maxsize=1)
def _notices() -> dict[str, dict]:
    found = {}
    for path in sorted(LANGUAGES_DIR.glob("*/notices.yml")):
        found[path.parent.name] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return found


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
    return template.format(**values)


def plan_name(language: str | None, kind: str) -> str:
    return _lookup(language, "plans", kind) or kind


def buttons_in(language: str | None, buttons: Buttons) -> Buttons:
    """The same buttons (same payloads), titled in the language where it has a title."""
    return [{**b, "title": _lookup(language, "buttons", b["payload"]) or b["title"]}
            for b in buttons]
