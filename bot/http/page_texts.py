"""The hosted pages' words in the member's language: data/languages/<code>/pages.yml, `page:
{key: text}`. A page is in the language of the account its link belongs to (a setup link's,
a payment's). A language without pages.yml gets the English pages (and `<html lang="en">`);
a key missing in a language reads in English. Amounts and names are filled in already
formatted for the language (services/formatting.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

LANGUAGES_DIR = Path(__file__).resolve().parents[2] / "data" / "languages"
DEFAULT_LANGUAGE = "en"


@lru_cache(maxsize=1)
def _pages() -> dict[str, dict[str, dict[str, str]]]:
    found = {}
    for path in sorted(LANGUAGES_DIR.glob("*/pages.yml")):
        found[path.parent.name] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return found


@dataclass(frozen=True)
class PageWords:
    """One page's texts in one language: `words("title")`, `words("saved", method=...)`."""

    language: str  # the page's language: what <html lang> says
    page: str

    def __call__(self, key: str, **values: object) -> str:
        for code in (self.language, DEFAULT_LANGUAGE):
            template = ((_pages().get(code) or {}).get(self.page) or {}).get(key)
            if template is not None:
                return template.format(**values)
        raise KeyError(f"no text {self.page}.{key} in data/languages/{DEFAULT_LANGUAGE}/pages.yml")

    def optional(self, key: str) -> str | None:
        """A text only some languages have (None in the others)."""
        return ((_pages().get(self.language) or {}).get(self.page) or {}).get(key)


def words_for(language: str | None, page: str) -> PageWords:
    return PageWords(language if language in _pages() else DEFAULT_LANGUAGE, page)
