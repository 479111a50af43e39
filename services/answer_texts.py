"""Answers to members' questions about premiums, as a language says them: data/answers.yml in
English, and data/languages/<code>/answers.yml laid over it key by key, so a text a language
lacks stays English. Plain data reading, shared by the dialogue actions and the coverage test;
the dialogue engine plays no part."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from services.language_files import language_file, overlay

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
ANSWERS_FILE = DATA_DIR / "answers.yml"


@cache
def load_answers(path: Path = ANSWERS_FILE) -> dict:
    """The English answers (data/answers.yml)."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def answers_for(language: str | None) -> dict:
    """The answers in `language` (a data/languages folder name), English where it has none."""
    return answers_in(load_answers(), language)


def answers_in(english: dict, language: str | None) -> dict:
    """`english` with `language`'s answers.yml laid over it, key by key."""
    return overlay(english, language_file(language, "answers.yml"))
