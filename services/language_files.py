"""The language folders' files, read in one place: data/languages/<code>/<name> for every
language, and the folders a deployment or a test adds with `use_language_dirs` (a test's
made-up language, say). Everything that reads a language's texts or words (notices, refusals,
pages, answers, decline explanations, the words actions read) comes through here, so adding a
language, or a folder of them, is data only and every reader sees it at once.

Folders later in the list add to earlier ones key by key, language by language: a deployment's
folder can change one text of a language without copying the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import yaml

LANGUAGES_DIR = Path(__file__).resolve().parent.parent / "data" / "languages"
DEFAULT_LANGUAGE = "en"

_directories: tuple[Path, ...] = (LANGUAGES_DIR,)
# Readers that keep what they built from these files (compiled words, looked-up texts) register
# how to forget it, so a change of folders reaches them too.
_forget: list[Callable[[], None]] = []


def use_language_dirs(*directories: Path | str) -> None:
    """Read the language folders under `directories`, in that order (data/languages/ alone
    when none are given)."""
    global _directories
    _directories = tuple(Path(d) for d in directories) or (LANGUAGES_DIR,)
    language_files.cache_clear()
    for forget in _forget:
        forget()


def language_dirs() -> tuple[Path, ...]:
    return _directories


def on_change(forget: Callable[[], None]) -> Callable[[], None]:
    """Call `forget` whenever the folders change (for a reader's own caches)."""
    _forget.append(forget)
    return forget


@lru_cache(maxsize=64)
def language_files(name: str) -> dict[str, dict]:
    """{language code: the file `name` of that language}, for the languages that have one."""
    found: dict[str, dict] = {}
    for directory in _directories:
        for path in sorted(directory.glob(f"*/{name}")):
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            code = path.parent.name
            found[code] = overlay(found[code], data) if code in found else data
    return found


def language_file(language: str | None, name: str) -> dict:
    """The file `name` of `language` ({} when it has none)."""
    return language_files(name).get(language or "") or {}


def overlay(base: object, over: object) -> object:
    """`over` laid on `base` key by key, at every depth; what `over` lacks stays `base`'s."""
    if isinstance(base, dict) and isinstance(over, dict):
        return {key: overlay(base[key], over[key]) if key in base and key in over
                else over.get(key, base.get(key)) for key in {**base, **over}}
    return base if over is None else over
