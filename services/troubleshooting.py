"""Why a payment was declined, in plain language, and what the member can do next.

The texts live in data/troubleshooting.yml, in English; another language's words are in
data/languages/<code>/troubleshooting.yml (the same codes and buttons, texts only), laid over
the English text by text, so a text it lacks stays English. Lost, stolen and fraudulent cards
are explained only as a generic decline; which codes may be retried later (soft declines) and
which never (hard declines) decides what autopay retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from services.language_files import language_file

DEFAULT_TROUBLESHOOTING_FILE = (
    Path(__file__).resolve().parent.parent / "data" / "troubleshooting.yml"
)
DECLINE_TYPES = ("soft", "hard", "member")


@dataclass(frozen=True)
class DeclineExplanation:
    shown_code: str  # the code a member may see: generic_decline stands for hidden and unknown
    title: str
    explanation: str
    next_steps: list[str]
    retryable_later: bool  # a soft decline: the same method may work later
    suggested_buttons: list[tuple[str, str]]  # (title, intent payload)


@dataclass(frozen=True)
class _Texts:
    title: str
    explanation: str
    next_steps: tuple[str, ...]


@dataclass(frozen=True)
class _Code:
    decline: str
    texts: dict[str, _Texts]  # by method kind
    buttons: tuple[tuple[str, str], ...]
    button_names: tuple[str, ...]  # the buttons' names in the file, to find their titles


@dataclass(frozen=True)
class Knowledge:
    codes: dict[str, _Code]
    hidden_codes: frozenset[str]
    generic_code: str


def explain_decline(code: str | None, *, method_kind: str = "card",
                    language: str | None = None) -> DeclineExplanation:
    """The member-facing explanation of a decline or bank return code, in `language` (a
    data/languages folder name) where that folder has it, else in English."""
    knowledge = load_knowledge()
    code = code or knowledge.generic_code
    shown = code if code in knowledge.codes else knowledge.generic_code
    entry = knowledge.codes[shown]
    kind = method_kind if method_kind in entry.texts else "card"
    texts = entry.texts[kind]
    words = language_texts(language)
    said = (words.get("codes") or {}).get(shown) or {}
    if kind != "card":  # a bank account's own texts, under its kind
        said = said.get(kind) or {}
    titles = words.get("buttons") or {}
    return DeclineExplanation(
        shown_code=shown,
        title=said.get("title") or texts.title,
        explanation=said.get("explanation") or texts.explanation,
        next_steps=list(said.get("next_steps") or texts.next_steps),
        # From the real code: a stolen card shown as a generic decline is still never retried.
        retryable_later=is_soft_decline(code),
        suggested_buttons=[(titles.get(name) or title, intent)
                           for name, (title, intent) in zip(entry.button_names, entry.buttons,
                                                             strict=True)],
    )


def language_texts(language: str | None) -> dict:
    """data/languages/<language>/troubleshooting.yml: {"buttons": {name: title}, "codes":
    {code: {title, explanation, next_steps, bank_account: {...}}}}; empty when it has none."""
    return language_file(language, "troubleshooting.yml")


def is_soft_decline(code: str | None) -> bool:
    """May the same method succeed if the payment is tried again later?"""
    return _decline_type(code) == "soft"


def is_hard_decline(code: str | None) -> bool:
    """Must the same method never be tried again for this payment?"""
    return _decline_type(code) == "hard"


def _decline_type(code: str | None) -> str | None:
    knowledge = load_knowledge()
    if code in knowledge.hidden_codes:
        return "hard"
    entry = knowledge.codes.get(code or knowledge.generic_code)
    return entry.decline if entry else None


@lru_cache(maxsize=4)
def load_knowledge(path: Path | str | None = None) -> Knowledge:
    """Read and check the troubleshooting file once; a mistake in it fails at start-up."""
    raw = yaml.safe_load(Path(path or DEFAULT_TROUBLESHOOTING_FILE).read_text())
    buttons = {name: (b["title"], b["intent"]) for name, b in raw["buttons"].items()}
    codes = {name: _read_code(name, entry, buttons) for name, entry in raw["codes"].items()}
    hidden = frozenset(raw["hidden_codes"])
    generic = raw["generic_code"]
    if generic not in codes:
        raise ValueError(f"troubleshooting: generic code {generic!r} has no entry")
    if hidden & codes.keys():
        raise ValueError(f"troubleshooting: hidden codes have entries: {hidden & codes.keys()}")
    return Knowledge(codes=codes, hidden_codes=hidden, generic_code=generic)


def _read_code(name: str, entry: dict, buttons: dict[str, tuple[str, str]]) -> _Code:
    if entry.get("decline") not in DECLINE_TYPES:
        raise ValueError(f"troubleshooting: {name} needs decline: one of {DECLINE_TYPES}")
    unknown = [b for b in entry["buttons"] if b not in buttons]
    if unknown:
        raise ValueError(f"troubleshooting: {name} has unknown buttons {unknown}")
    card = _read_texts(name, entry)
    texts = {"card": card}
    if "bank_account" in entry:
        texts["bank_account"] = _read_texts(f"{name}.bank_account", entry["bank_account"])
    return _Code(decline=entry["decline"], texts=texts,
                 buttons=tuple(buttons[b] for b in entry["buttons"]),
                 button_names=tuple(entry["buttons"]))


def _read_texts(name: str, entry: dict) -> _Texts:
    title, explanation = entry.get("title"), entry.get("explanation")
    steps = entry.get("next_steps")
    if not (title and explanation and steps):
        raise ValueError(f"troubleshooting: {name} needs a title, an explanation and next steps")
    return _Texts(title=title, explanation=explanation, next_steps=tuple(steps))
