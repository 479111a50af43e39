"""Answers to members' questions about premiums, as a language says them: data/answers.yml in
English, and data/languages/<code>/answers.yml laid over it key by key, so a text a language
lacks stays English. Plain data reading, shared by the dialogue actions and the coverage test;
the dialogue engine plays no part."""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path

import yaml

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
ANSWERS_FILE = DATA_DIR / "answers.yml"
LANGUAGES_DIR = DATA_DIR / "languages"


@cache
def load_answers(path: Path = ANSWERS_FILE) -> dict:
    """The English answers (data/answers.yml)."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def answers_for(language: str | None) -> dict:
    """The answers in `language` (a data/languages folder name), English where it has none."""
    return answers_in(load_answers(), language)


def answers_in(english: dict, language: str | None,
               directory: Path | str | None = None) -> dict:
    """`english` with `language`'s answers.yml laid over it, key by key."""
    folder = Path(directory) if directory else LANGUAGES_DIR
    return _overlay(english, _answers_file(folder / (language or "") / "answers.yml"))


@lru_cache(maxsize=16)
def _answers_file(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {} if path.is_file() else {}


def _overlay(base: object, over: object) -> object:
    if isinstance(base, dict) and isinstance(over, dict):
        return {key: _overlay(base[key], over[key]) if key in base and key in over
                else over.get(key, base.get(key)) for key in {**base, **over}}
    return base if over is None else over
