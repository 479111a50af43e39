"""Languages as data: one folder per language under data/languages/<code>/.

A folder holds `language.yml` (its name, Babel locale, the words that choose it, its Telegram
command descriptions), `responses.yml` and `responses_<part>.yml` (response name -> variations,
as in domain.yml), `nlu.yml` (Rasa training examples), the service layer's texts
(`notices.yml`, `errors.yml`, `pages.yml`, `answers.yml`, `troubleshooting.yml`, read through
services/language_files.py), the words actions read (`choices.yml`, `autopay_words.yml`), and
`words.yml`: how the language writes amounts, dates, reminder days and quiet hours, and the
words that leave a prompt (services/language_words.py; without one, those read as English).
Adding a folder adds a language; no code changes.

The texts join the domain through the one mechanism Rasa has for languages: a variation with
`condition: [{type: slot, name: language, value: <code>}]`. The default language's texts are
the domain's unconditional variations; its folder only adds responses domain.yml lacks.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

LANGUAGE_SLOT = "language"
CHOOSE_LANGUAGE_RESPONSE = "utter_choose_language"
# Typed or tapped to see the languages offered. The help menu's button sends a word, not a
# /command: Rasa would read "/language" as an intent the domain does not have.
MENU_COMMANDS = frozenset({"/language", "/languages", "/idioma", "/idiomas", "/lang",
                           "language", "languages", "idioma", "idiomas", "change language",
                           "cambiar idioma", "cambiar de idioma", "language idioma"})
# A detector guess counts only for a message long enough to tell and a sure enough guess:
# "no", "ok" or a name say nothing about the member's language.
DETECTION_MIN_WORDS = 3
DETECTION_MIN_PROBABILITY = 0.95


class LanguageFileError(ValueError):
    """A language folder is missing something the bot needs."""


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # in the language itself: what its button says
    locale: str  # Babel's locale for dates and amounts
    choice_words: tuple[str, ...]  # normalized; the first is what its button sends
    responses: dict[str, list[dict]] = field(default_factory=dict)
    nlu_path: Path | None = None
    commands: dict[str, str] = field(default_factory=dict)  # Telegram command -> description


def load_languages(directories: Iterable[Path | str]) -> dict[str, Language]:
    """Every language folder found under `directories`, later directories adding to (or
    replacing) earlier ones, by code."""
    languages: dict[str, Language] = {}
    for directory in directories:
        directory = Path(directory)
        if not directory.is_dir():
            continue
        for folder in sorted(p for p in directory.iterdir() if (p / "language.yml").is_file()):
            languages[folder.name] = _load_language(folder)
    return languages


def _load_language(folder: Path) -> Language:
    spec = yaml.safe_load((folder / "language.yml").read_text(encoding="utf-8")) or {}
    missing = [key for key in ("name", "locale", "choice_words") if not spec.get(key)]
    if missing:
        raise LanguageFileError(f"{folder / 'language.yml'}: missing {', '.join(missing)}")
    # responses.yml and any responses_<part>.yml beside it (one file per part of the
    # conversation, so that parts can be written and reviewed on their own).
    responses: dict[str, list] = {}
    for responses_file in sorted(folder.glob("responses*.yml")):
        part = (yaml.safe_load(responses_file.read_text(encoding="utf-8")) or {}) \
            .get("responses") or {}
        clash = sorted(set(part) & set(responses))
        if clash:
            raise LanguageFileError(f"{responses_file}: responses given twice: {clash}")
        responses.update(part)
    nlu_file = folder / "nlu.yml"
    return Language(
        code=folder.name,
        name=str(spec["name"]),
        locale=str(spec["locale"]),
        choice_words=tuple(normalize(str(word)) for word in spec["choice_words"]),
        responses={name: list(variations) for name, variations in responses.items()},
        nlu_path=nlu_file if nlu_file.is_file() else None,
        commands={str(k): str(v) for k, v in (spec.get("commands") or {}).items()},
    )


def with_languages(raw: dict, languages: Mapping[str, Language]) -> dict:
    """The domain `raw` with every language's texts as conditional variations and its code
    among the language slot's values. The default language is the slot's initial value."""
    if not languages:
        return raw
    raw = copy.deepcopy(raw)
    slot = (raw.setdefault("slots", {}).setdefault(LANGUAGE_SLOT, {
        "type": "categorical", "influence_conversation": False,
        "mappings": [{"type": "custom"}]}))
    default = slot.setdefault("initial_value", next(iter(languages)))
    slot["values"] = list(dict.fromkeys([*(slot.get("values") or ()), *languages]))
    responses = raw.setdefault("responses", {})
    for code, language in languages.items():
        for name, variations in language.responses.items():
            if code == default:
                responses.setdefault(name, [dict(v) for v in variations])
                continue
            condition = [{"type": "slot", "name": LANGUAGE_SLOT, "value": code}]
            responses.setdefault(name, []).extend(
                {**variation, "condition": condition} for variation in variations)
    # The language menu lists every language there is, so no folder has to name the others.
    buttons = [{"title": language.name, "payload": language.choice_words[0]}
               for language in languages.values()]
    for variation in responses.get(CHOOSE_LANGUAGE_RESPONSE) or ():
        variation["buttons"] = buttons
    return raw


def normalize(text: str) -> str:
    """Lower case, without accents, punctuation or extra spaces: "¡Español!" -> "espanol"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w/]+", " ", plain).split())


class LanguageChooser:
    """How a member's language is chosen: an explicit choice, Telegram's language_code, or
    the language their messages are written in (only among the languages with a folder)."""

    def __init__(self, languages: Mapping[str, Language]):
        self.languages = dict(languages)
        self._words = {word: code for code, language in self.languages.items()
                       for word in language.choice_words}

    def warm_up(self) -> None:
        """Load the detector now rather than in a member's first turn."""
        if len(self.languages) >= 2:
            _identifier(tuple(sorted(self.languages)))

    def explicit_choice(self, text: str) -> str | None:
        """The language a message names on its own ("español", "English", "en español")."""
        return self._words.get(normalize(text)) if len(text) <= 40 else None

    def asks_for_menu(self, text: str) -> bool:
        return normalize(text) in MENU_COMMANDS

    def from_language_code(self, language_code: str | None) -> str | None:
        """Telegram's IETF tag ("es", "es-419", "pt-br") to a language we have, or None."""
        if not language_code:
            return None
        base = language_code.lower().replace("_", "-").split("-")[0]
        return base if base in self.languages else None

    def detect(self, text: str) -> str | None:
        """The language `text` is written in, when it is long enough to tell and the guess is
        sure; None otherwise, or when there is only one language."""
        if len(self.languages) < 2 or len(text.split()) < DETECTION_MIN_WORDS:
            return None
        identifier = _identifier(tuple(sorted(self.languages)))
        if identifier is None:
            return None
        code, probability = identifier.classify(text)
        return code if probability >= DETECTION_MIN_PROBABILITY else None


@lru_cache(maxsize=8)
def _identifier(codes: tuple[str, ...]):
    """py3langid's model narrowed to `codes`, loaded once per process (it takes ~0.5 s; a
    guess then takes ~20 µs). It knows ~97 languages: a made-up one is never detected."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    known = [code for code in codes if code in identifier.nb_classes]
    if len(known) < 2:
        return None
    identifier.set_languages(known)
    return identifier
