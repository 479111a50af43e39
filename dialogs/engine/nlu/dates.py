"""Dates as members type them, resolved to calendar dates relative to the exchange's today.

A date without a year means its next occurrence on or after today ("12/23", "the 23rd",
"Dec 23"): members name dates to pay on or be reminded by. Weekdays follow Duckling, which
Rasa bots use: "Friday" and "this Friday" are the next Friday on or after today, "next Friday"
is the Friday of next week (weeks start on Monday), "Friday after next" a week after that.
Numeric dates are month/day, as in the US; "23/12" is read as day/month only because 23 can't
be a month.

English is always read. A language's words (the `dates:` section of its
data/languages/<code>/words.yml: months, weekdays, "manana", "el proximo viernes", "en 3 dias",
"23 de diciembre") add its own readings, matched without accents, resolved by the same rules.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Iterator
from functools import lru_cache

from dialogs.engine.nlu.spans import SpanSet
from services import language_words

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4,
    "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8,
    "sep": 9, "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11,
    "dec": 12, "december": 12,
}
# Full names, the usual abbreviations and the misspellings members actually send.
_WEEKDAYS = {
    "monday": 0, "mon": 0, "munday": 0,
    "tuesday": 1, "tue": 1, "tues": 1, "tuesay": 1, "teusday": 1,
    "wednesday": 2, "wed": 2, "wednsday": 2, "wendsday": 2, "wensday": 2, "wedsday": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "thrusday": 3, "thursay": 3,
    "friday": 4, "fri": 4, "firday": 4, "fryday": 4, "frday": 4,
    "saturday": 5, "sat": 5, "saterday": 5, "satuday": 5,
    "sunday": 6, "sun": 6, "sundy": 6,
}
_SMALL_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}


def _alternation(words: dict[str, int]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_MONTH = rf"(?P<month>{_alternation(_MONTHS)})\.?"
_ORDINAL = r"(?P<day>\d{1,2})(?:st|nd|rd|th)"
_YEAR = r"(?:,?\s+(?P<year>(?:19|20)\d{2}))?"
_B = r"(?<![\w/.-])"  # no date starts inside a word, number or another date
_E = r"(?![\w/-]|\.\d)"


def _on_or_after(today: dt.date, candidates: Iterator[dt.date | None]) -> dt.date | None:
    for candidate in candidates:
        if candidate is not None and candidate >= today:
            return candidate
    return None


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _month_day(today: dt.date, month: int, day: int, year: int | None) -> dt.date | None:
    if year is not None:
        return _safe_date(year, month, day)
    # Feb 29 comes round within four years; any other valid date within one.
    return _on_or_after(today, (_safe_date(today.year + k, month, day) for k in range(5)))


def _day_of_month(today: dt.date, day: int) -> dt.date | None:
    def months() -> Iterator[dt.date | None]:
        for k in range(12):
            year, month = divmod(today.month - 1 + k, 12)
            yield _safe_date(today.year + year, month + 1, day)

    return _on_or_after(today, months())


def _year(match: re.Match[str]) -> int | None:
    year = match.groupdict().get("year")
    if year is None:
        return None
    return int(year) + 2000 if len(year) == 2 else int(year)


def _iso(match: re.Match[str], today: dt.date) -> dt.date | None:
    return _safe_date(int(match["year"]), int(match["month"]), int(match["day"]))


def _numeric(match: re.Match[str], today: dt.date) -> dt.date | None:
    month, day = int(match["first"]), int(match["second"])
    if month > 12 >= day:
        month, day = day, month
    return _month_day(today, month, day, _year(match))


def _named_month(match: re.Match[str], today: dt.date) -> dt.date | None:
    return _month_day(today, _MONTHS[match["month"].lower()], int(match["day"]), _year(match))


def _ordinal_day(match: re.Match[str], today: dt.date) -> dt.date | None:
    return _day_of_month(today, int(match["day"]))


def _weekday(match: re.Match[str], today: dt.date) -> dt.date:
    target = _WEEKDAYS[match["weekday"].lower()]
    if (match["qualifier"] or "").lower() == "next":
        next_monday = today + dt.timedelta(days=7 - today.weekday())
        resolved = next_monday + dt.timedelta(days=target)
    else:
        resolved = today + dt.timedelta(days=(target - today.weekday()) % 7)
    return resolved + dt.timedelta(days=7 if match["after_next"] else 0)


_RELATIVE_DAYS = {
    "today": 0, "tonight": 0, "tomorrow": 1, "tommorow": 1, "tomorow": 1, "tommorrow": 1,
    "tmrw": 1, "tmr": 1, "day after tomorrow": 2, "yesterday": -1,
}


def _relative_day(match: re.Match[str], today: dt.date) -> dt.date:
    return today + dt.timedelta(days=_RELATIVE_DAYS[re.sub(r"\s+", " ", match["word"].lower())])


def _in_n(match: re.Match[str], today: dt.date) -> dt.date:
    count = match["count"].lower()
    n = int(count) if count.isdigit() else _SMALL_NUMBERS[count]
    return today + dt.timedelta(days=n * (7 if match["unit"].lower().startswith("week") else 1))


def _end_of_month(match: re.Match[str], today: dt.date) -> dt.date:
    return today.replace(day=calendar.monthrange(today.year, today.month)[1])


def _day_of_next_month(match: re.Match[str], today: dt.date) -> dt.date | None:
    year, month = divmod(today.month, 12)
    return _safe_date(today.year + year, month + 1, int(match["day"]))


def _pattern(regex: str) -> re.Pattern[str]:
    return re.compile(regex, re.IGNORECASE)


Resolver = Callable[[re.Match[str], dt.date], dt.date | None]
_DAY = r"(?P<day>\d{1,2})"
_PATTERNS: list[tuple[re.Pattern[str], Resolver]] = [
    (_pattern(rf"{_B}(?P<year>\d{{4}})-(?P<month>\d{{1,2}})-{_DAY}{_E}"), _iso),
    (_pattern(rf"{_B}(?P<first>\d{{1,2}})/(?P<second>\d{{1,2}})(?:/(?P<year>\d{{4}}|\d{{2}}))?"
              rf"{_E}"), _numeric),
    (_pattern(rf"\b{_MONTH}\s+(?:the\s+)?{_DAY}(?:st|nd|rd|th)?\b{_YEAR}\b"), _named_month),
    (_pattern(rf"\b(?:the\s+)?{_DAY}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\b{_YEAR}\b"),
     _named_month),
    (_pattern(rf"\b(?:the\s+)?{_DAY}(?:st|nd|rd|th)?\s+of\s+next\s+month\b"),
     _day_of_next_month),
    (_pattern(rf"\b(?:the\s+)?{_ORDINAL}\b"), _ordinal_day),
    (_pattern(rf"(?<=\bon )the\s+{_DAY}\b(?![.,/:]\d)"), _ordinal_day),  # "on the 5"
    (_pattern(rf"\b(?:(?P<qualifier>next|this|coming|this\s+coming)\s+)?"
              rf"(?P<weekday>{_alternation(_WEEKDAYS)})\b(?P<after_next>\s+after\s+next)?"),
     _weekday),
    (_pattern(rf"\b(?P<word>day\s+after\s+tomorrow|{_alternation(_RELATIVE_DAYS)})\b"),
     _relative_day),
    (_pattern(rf"\bin\s+(?P<count>\d{{1,3}}|{_alternation(_SMALL_NUMBERS)})\s+"
              r"(?P<unit>days?|weeks?)\b"), _in_n),
    (_pattern(r"\b(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?month\b"), _end_of_month),
]


def find_dates(text: str, today: dt.date,
               language: str | None = None) -> list[tuple[int, int, dt.date]]:
    """Non-overlapping (start, end, date) in `text`, the longest reading winning; English
    readings and `language`'s."""
    candidates = []
    readings = [(text, _PATTERNS)]
    extra = _language_patterns(language)
    if extra:
        readings.append((language_words.plain(text), extra))
    for scanned, patterns in readings:
        for pattern, resolve in patterns:
            for match in pattern.finditer(scanned):
                resolved = resolve(match, today)
                if resolved is not None:
                    candidates.append((match.start(), match.end(), resolved))
    taken = SpanSet()
    longest_first = sorted(candidates, key=lambda c: (c[0] - c[1], c[0]))
    return sorted((start, end, value) for start, end, value in longest_first
                  if taken.claim(start, end))


@lru_cache(maxsize=16)
def _language_patterns(language: str | None) -> tuple[tuple[re.Pattern[str], Resolver], ...]:
    """A language's readings, from its words (plain): "el 23 de diciembre [de 2026]",
    "diciembre 23", "el 23", "el [proximo] viernes [que viene]", "manana", "en 3 dias",
    "fin de mes"."""
    spec = language_words.section(language, "dates")
    if not spec:
        return ()
    plain, alt = language_words.plain, language_words.alternation

    def words(key: str) -> dict[str, int]:
        return {plain(str(k)): int(v) for k, v in (spec.get(key) or {}).items()}

    def phrases(key: str) -> str:
        return alt(spec.get(key) or ()) or "(?!)"

    months, weekdays = words("months"), words("weekdays")
    relative, small = words("relative_days"), words("small_numbers")
    month = rf"(?P<month>{alt(months)})\.?"
    year = rf"(?:,?\s+(?:(?:{phrases('day_of')})\s+)?(?P<year>(?:19|20)\d{{2}}))?"
    lead = phrases("day_lead")

    def named_month(match: re.Match[str], today: dt.date) -> dt.date | None:
        return _month_day(today, months[match["month"]], int(match["day"]), _year(match))

    def weekday(match: re.Match[str], today: dt.date) -> dt.date:
        target = weekdays[match["weekday"]]
        if match["next"] or match["next_after"]:
            next_monday = today + dt.timedelta(days=7 - today.weekday())
            resolved = next_monday + dt.timedelta(days=target)
        else:
            resolved = today + dt.timedelta(days=(target - today.weekday()) % 7)
        return resolved + dt.timedelta(days=7 if match["after_next"] else 0)

    def relative_day(match: re.Match[str], today: dt.date) -> dt.date:
        return today + dt.timedelta(days=relative[" ".join(match["word"].split())])

    def in_n(match: re.Match[str], today: dt.date) -> dt.date:
        count = match["count"]
        n = int(count) if count.isdigit() else small[count]
        weeks = re.fullmatch(phrases("week_units"), match["unit"])
        return today + dt.timedelta(days=n * (7 if weeks else 1))

    patterns = [
        (rf"\b(?:(?:{lead})\s+)?{_DAY}\s+(?:{phrases('day_of')})\s+{month}\b{year}\b",
         named_month),
        (rf"\b{month}\s+{_DAY}\b{year}\b", named_month),
        # "el 23", "el dia 23": not "el 23 de ..." of another kind, nor a time or an amount.
        (rf"\b(?:{lead})\s+{_DAY}\b(?![.,:/%$]?\d|\s*[%$]|\s+(?:{phrases('day_of')})\s)",
         _ordinal_day),
        (rf"\b(?:(?P<next>{phrases('next_before')})\s+|(?:{phrases('this_before')})\s+)?"
         rf"(?P<weekday>{alt(weekdays)})\b(?:\s+(?P<next_after>{phrases('next_after')})\b)?"
         rf"(?P<after_next>\s+(?:{phrases('after_next')})\b)?", weekday),
        # "manana", not "de la manana" (the morning).
        (rf"(?<!la )\b(?P<word>{alt(relative)})\b", relative_day),
        (rf"\b(?:{phrases('in')})\s+(?P<count>\d{{1,3}}|{alt(small)})\s+"
         rf"(?P<unit>{phrases('day_units')}|{phrases('week_units')})\b", in_n),
        (rf"\b(?:{phrases('end_of_month')})\b", _end_of_month),
    ]
    return tuple((re.compile(regex), resolve) for regex, resolve in patterns)
