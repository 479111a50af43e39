"""The hosted pages' words in the member's language: data/languages/<code>/pages.yml, `page:
{key: text}`. A page is in the language of the account its link belongs to (a setup link's,
a payment's). A language without pages.yml gets the English pages (and `<html lang="en">`);
a key missing in a language reads in English. Amounts and names are filled in already
formatted for the language (services/formatting.py). Language folders are read from
data/languages/ and any folder added with use_language_dirs, as for notices.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from services.language_files import (  # noqa: F401 (tests use them here)
    LANGUAGES_DIR,
    language_files,
    use_language_dirs,
)

DEFAULT_LANGUAGE = "en"

logger = logging.getLogger(__name__)


def _pages() -> dict[str, dict[str, dict[str, str]]]:
    return language_files("pages.yml")


@dataclass(frozen=True)
class PageWords:
    """One page's texts in one language: `words("title")`, `words("saved", method=...)`."""

    language: str  # the page's language: what <html lang> says
    page: str

    def __call__(self, key: str, **values: object) -> str:
        for code in (self.language, DEFAULT_LANGUAGE):
            template = ((_pages().get(code) or {}).get(self.page) or {}).get(key)
            if template is None:
                continue
            try:
                return template.format(**values)
            except (KeyError, IndexError, ValueError):
                if code == DEFAULT_LANGUAGE:
                    raise
                # A language's text naming a value the page does not have is a bug in its
                # data: the member still gets the page, with this text in English.
                logger.exception("pages.yml text %s.%s (%s) does not fit its values",
                                 self.page, key, code)
        raise KeyError(f"no text {self.page}.{key} in data/languages/{DEFAULT_LANGUAGE}/pages.yml")

    def optional(self, key: str) -> str | None:
        """A text only some languages have (None in the others)."""
        return ((_pages().get(self.language) or {}).get(self.page) or {}).get(key)


def words_for(language: str | None, page: str) -> PageWords:
    return PageWords(language if language in _pages() else DEFAULT_LANGUAGE, page)
