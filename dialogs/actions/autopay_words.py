"""How members write about autopay, in every language there is: data/languages/<code>/
autopay_words.yml (regular expressions and keywords). Every language's words are read in every
chat, since members mix languages; numbers in words are read in the member's own language. A
new language adds a file, not code."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from services.language_files import language_files, on_change

WORDS_FILE = "autopay_words.yml"


@dataclass(frozen=True)
class PauseWords:
    length: re.Pattern  # group 1: the count (a number or a word for one), group 2: the unit
    one: frozenset[str]
    units: dict[str, str]  # a unit word as typed (lower case) -> day, week or month
    until: re.Pattern
    until_month: re.Pattern  # group 1: the month's abbreviation
    months: dict[str, int]  # an abbreviation -> the month's number


@dataclass(frozen=True)
class AutopayWords:
    numbers: dict[str, str]  # language code -> text2num's language
    actions: dict[str, re.Pattern]
    change: re.Pattern
    terms: dict[str, re.Pattern]  # in the order they are looked for
    days_before: tuple[re.Pattern, ...]
    pauses: tuple[PauseWords, ...]
    answers: dict[str, dict[str, tuple[str, ...]]]  # question -> choice -> keywords


@lru_cache(maxsize=1)
def autopay_words() -> AutopayWords:
    files = language_files(WORDS_FILE)
    english = files.get("en") or next(iter(files.values()))
    languages = [english, *(words for code, words in files.items() if code != "en")]

    def either(patterns: list[str]) -> re.Pattern:
        return re.compile("|".join(f"(?:{p})" for p in patterns), re.I)

    answers: dict[str, dict[str, tuple[str, ...]]] = {}
    for words in languages:
        for question, choices in words["answers"].items():
            for choice, keys in choices.items():
                kept = answers.setdefault(question, {}).get(choice, ())
                answers[question][choice] = kept + tuple(str(key).lower() for key in keys)
    return AutopayWords(
        numbers={code: str(words.get("numbers") or code) for code, words in files.items()},
        actions={name: either([w["actions"][name] for w in languages if name in w["actions"]])
                 for name in english["actions"]},
        change=either([w["change"] for w in languages]),
        terms={name: either([w["terms"][name] for w in languages if name in w["terms"]])
               for name in english["terms"]},
        days_before=tuple(re.compile(w["days_before"], re.I) for w in languages),
        pauses=tuple(_pause_words(w) for w in languages),
        answers=answers,
    )


def _pause_words(words: dict) -> PauseWords:
    return PauseWords(
        length=re.compile(words["pause_for"], re.I),
        one=frozenset(str(word).lower() for word in words["one"]),
        units={str(word).lower(): unit for unit, said in words["units"].items()
               for word in said},
        until=re.compile(words["pause_until"], re.I),
        until_month=re.compile(words["pause_until_month"], re.I),
        months={str(abbreviation).lower(): number
                for number, abbreviation in enumerate(words["months"], 1)},
    )


on_change(autopay_words.cache_clear)  # compiled again when the language folders change
