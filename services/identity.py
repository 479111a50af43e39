"""What members type to prove who they are — names, dates of birth, SSNs, security answers —
read leniently in form and strictly in substance, so a match never depends on punctuation.

No message here ever repeats what the member typed: these values are secrets.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata

from services import language_words
from services.errors import InvalidInput
from services.secrets import keyed_hash

# --- names and security answers -------------------------------------------------------------

# Letters that Unicode does not decompose into a base letter plus an accent.
_UNDECOMPOSED = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae",
                               "œ": "oe", "ı": "i"})
# Apostrophes and periods join what they separate ("O'Neil" = "ONeil", "J.R." = "JR");
# any other punctuation (hyphens, commas, slashes) separates words.
_JOINERS = re.compile(r"['’‘`ʼ.]")
_SEPARATORS = re.compile(r"[\W_]+")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    text = _JOINERS.sub("", text.translate(_UNDECOMPOSED))
    return " ".join(_SEPARATORS.sub(" ", text).split())


def normalize_name(text: str) -> str:
    """'  mary  o’Néil-smith ' and "Mary O'Neil Smith" both become 'mary oneil smith'."""
    return _fold(text)


def normalize_security_answer(text: str) -> str:
    """Answers match whatever the case, accents, spacing or punctuation: "St. Mary's" = "st marys".
    """
    return _fold(text)


# --- dates of birth -------------------------------------------------------------------------

_DOB_EXAMPLE = "like 03/14/1985 or March 14, 1985"
_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_DATE_CHARACTERS = re.compile(r"^[a-z0-9\s/.,-]+$")
_DATE_TOKENS = re.compile(r"[0-9]+(?:st|nd|rd|th)?|[a-z]+")
_ORDINAL = re.compile(r"^([0-9]{1,2})(?:st|nd|rd|th)$")
MAX_AGE_YEARS = 130


def parse_date_of_birth(text: str, *, today: dt.date) -> dt.date:
    """Read a date of birth the way US members write it, month first: 03/14/1985, 3/14/85,
    03141985, 1985-03-14, March 14 1985, Mar. 14th, 1985, 14 March 1985.

    A two-digit year is the latest one not in the future. Day-first numeric dates (14/03/1985)
    are refused rather than guessed at, because 04/03 would be read either way."""
    text = language_words.plain((text or "").strip())  # lower case, no accents ("día")
    if not text or not _DATE_CHARACTERS.match(text):
        raise InvalidInput(f"Please type your date of birth, {_DOB_EXAMPLE}.", key="dob_needed")
    fillers, months = _date_words()
    tokens = [_ORDINAL.sub(r"\1", token) for token in _DATE_TOKENS.findall(text)
              if token not in fillers]  # "14th of March 1985", "el 14 de marzo de 1985"
    year_digits, month, day = _date_parts(tokens, months)
    year = int(year_digits)
    if len(year_digits) == 2:
        year += 2000 if (year + 2000, month, day) <= (today.year, today.month, today.day) else 1900
    try:
        born = dt.date(year, month, day)
    except ValueError:
        raise InvalidInput(
            f"That date doesn't exist. Please check it and type it {_DOB_EXAMPLE}.",
            key="dob_not_a_date",
        ) from None
    if born > today:
        raise InvalidInput(f"That date is in the future. Please type your date of birth, "
                           f"{_DOB_EXAMPLE}.", key="dob_in_future")
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if age > MAX_AGE_YEARS:
        raise InvalidInput(f"Please check the year: that would make you over {MAX_AGE_YEARS}.",
                           key="dob_too_old", most=MAX_AGE_YEARS)
    return born


def _date_words() -> tuple[frozenset[str], dict[str, int]]:
    """The words around a date that say nothing ("of"; a language's "el", "de"), and every
    month name: English, and each language's (words.yml `dates:`), so "14 de marzo de 1985"
    reads as "14 March 1985" whatever language the member chose."""
    fillers, months = {"of"}, dict(_MONTHS)
    for words in language_words.all_words().values():
        dates = words.get("dates") or {}
        for phrase in [*(dates.get("day_of") or ()), *(dates.get("day_lead") or ())]:
            fillers.update(language_words.plain(str(phrase)).split())
        months.update({language_words.plain(str(name)): int(number)
                       for name, number in (dates.get("months") or {}).items()})
    return frozenset(fillers), months


def _date_parts(tokens: list[str], months: dict[str, int] = _MONTHS) -> tuple[str, int, int]:
    """(year as typed, month, day) from the date's words and numbers; month and day may be out
    of range, which the caller reports as a date that doesn't exist."""
    unreadable = InvalidInput(f"I couldn't read that date. Please type it {_DOB_EXAMPLE}.",
                              key="dob_unreadable")
    words = [token for token in tokens if not token.isdigit()]
    numbers = [token for token in tokens if token.isdigit()]
    if len(tokens) == 1 and len(numbers) == 1 and len(numbers[0]) == 8:
        digits = numbers[0]
        # 19850314 or 03141985: a month can't be 19 or 20, so the two never collide.
        numbers = [digits[:4], digits[4:6], digits[6:]] if digits[:2] in ("19", "20") else [
            digits[:2], digits[2:4], digits[4:]]
    if words:
        if len(words) != 1 or words[0] not in months or len(numbers) != 2:
            raise unreadable
        month = months[words[0]]
        first, second = numbers
        # "March 14 1985" or "14 March 1985": the year is the number that is not a day.
        day, year = (first, second) if len(first) <= 2 else (second, first)
        if len(day) > 2 or len(year) not in (2, 4):
            raise unreadable
        return year, month, int(day)
    if len(numbers) != 3:
        raise unreadable
    if len(numbers[0]) == 4:
        year, month, day = numbers
    else:
        month, day, year = numbers
        if int(month) > 12 and int(day) <= 12:
            raise InvalidInput("Please put the month first, like 03/14/1985.",
                               key="dob_month_first")
    if len(month) > 2 or len(day) > 2 or len(year) not in (2, 4):
        raise unreadable
    return year, int(month), int(day)


# --- Social Security numbers ----------------------------------------------------------------

_SSN_FORMAT = re.compile(r"^[0-9\s-]+$")


def normalize_ssn(text: str) -> str:
    """The 9 digits of an SSN typed with or without dashes and spaces, checked against the
    numbers the SSA never issues (area 000, 666 or 900-999, group 00, serial 0000)."""
    text = (text or "").strip()
    digits = re.sub(r"[\s-]", "", text)
    if not _SSN_FORMAT.match(text) or len(digits) != 9:
        raise InvalidInput(
            "Please type all 9 digits of your Social Security number, like 123-45-6789.",
            key="ssn_digits",
        )
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        raise InvalidInput(
            "That isn't a valid Social Security number. Please check it and type it again.",
            key="ssn_invalid",
        )
    return digits


def ssn_hash(key: bytes, ssn_digits: str) -> str:
    """The keyed hash kept for matching: never the number itself."""
    if not re.fullmatch(r"[0-9]{9}", ssn_digits):
        raise ValueError("ssn_hash takes the 9 digits from normalize_ssn")
    return keyed_hash(key, ssn_digits)
