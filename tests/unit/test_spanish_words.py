"""Spanish as members write it, read by the parsers (data/languages/es/words.yml): amounts and
shares in words, dates, reminder days, quiet hours, and the words that leave a prompt. Property
tests generate the phrasings; examples pin the ones members send."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialogs.actions.reminder_parsing import (
    ReminderInputError,
    parse_quiet_hours,
    parse_reminder_days,
)
from dialogs.engine.domain import DATA_DIR
from dialogs.engine.nlu.dates import find_dates
from dialogs.engine.nlu.entities import EntityExtractor
from dialogs.engine.nlu.number_words import find_number_words
from dialogs.engine.prompt_answers import PromptRules, looks_like_question
from services.language_words import plain

TODAY = dt.date(2026, 11, 17)  # a Tuesday
EXTRACTOR = EntityExtractor({}, {}, {})
RULES = PromptRules.load(DATA_DIR / "prompt_answers.yml")

UNITS = {1: "uno", 2: "dos", 3: "tres", 4: "cuatro", 5: "cinco", 6: "seis", 7: "siete",
         8: "ocho", 9: "nueve"}
TENS = {30: "treinta", 40: "cuarenta", 50: "cincuenta", 60: "sesenta", 70: "setenta",
        80: "ochenta", 90: "noventa"}
HUNDREDS = {100: "ciento", 200: "doscientos", 300: "trescientos", 400: "cuatrocientos",
            500: "quinientos", 600: "seiscientos", 700: "setecientos", 800: "ochocientos",
            900: "novecientos"}
SMALL = {1: "un", 2: "dos", 3: "tres", 4: "cuatro", 5: "cinco", 6: "seis", 7: "siete"}
MONTHS = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
          "septiembre", "octubre", "noviembre", "diciembre"]


def spanish(n: int) -> str:
    """A number from 30 to 999 (its last two digits under 10 or from 30) in Spanish words, as
    written out: "ciento cincuenta y dos"."""
    hundreds, rest = divmod(n, 100)
    words = []
    if hundreds:
        words.append("cien" if n == 100 else HUNDREDS[hundreds * 100])
    if rest >= 30:
        tens, units = divmod(rest, 10)
        words.append(TENS[tens * 10] + (f" y {UNITS[units]}" if units else ""))
    elif rest:
        words.append(UNITS[rest])
    return " ".join(words)


def amounts(text: str) -> list[int]:
    return [e["value"] for e in EXTRACTOR.extract(text, TODAY, "es") if e["entity"] == "amount"]


def shares(text: str) -> list[str]:
    return [e["value"] for e in EXTRACTOR.extract(text, TODAY, "es")
            if e["entity"] == "amount_share"]


# --- amounts and shares -------------------------------------------------------------------

@pytest.mark.parametrize(("said", "cents"), [
    ("cien", 10000), ("cien dólares", 10000), ("ciento cincuenta", 15000),
    ("doscientos dolares", 20000), ("veinticinco dólares", 2500), ("veintidos", 2200),
    ("quiero pagar trescientos cincuenta", 35000), ("100 dolares", 10000),
    ("mil doscientos", 120000),
])
def test_amounts_in_spanish_words(said, cents):
    assert amounts(said) == [cents]


@pytest.mark.parametrize("said", ["una pregunta", "3 dias antes", "tres dias", "los dos",
                                  "a las 7 de la noche", "terminada en 4242", "una vez"])
def test_numbers_that_are_not_money(said):
    assert amounts(said) == []


def test_english_words_are_no_spanish_amounts_for_an_english_member():
    assert [e for e in EXTRACTOR.extract("cien dolares", TODAY) if e["entity"] == "amount"] \
        == []
    assert [e["value"] for e in EXTRACTOR.extract("pay once a month", TODAY)
            if e["entity"] == "amount"] == []


@pytest.mark.parametrize(("said", "share"), [
    ("la mitad", "half"), ("la mitad nomás", "half"), ("todo lo que debo", "full"),
    ("el total", "full"), ("todo", "full"), ("el saldo completo", "full"), ("half", "half"),
])
def test_shares_of_the_balance(said, share):
    assert shares(said) == [share]


@given(st.integers(min_value=30, max_value=999).filter(lambda n: not 10 <= n % 100 < 30),
       st.sampled_from(["", " dolares", " dólares"]))
def test_any_written_out_amount_is_read(n, currency):
    assert amounts(spanish(n) + currency) == [n * 100]


@given(st.text(max_size=80))
def test_number_words_never_fail_and_stay_inside_the_text(text):
    found = list(find_number_words(text, "es"))
    assert all(0 <= start < end <= len(text) for start, end, _ in found)
    assert all(a[1] <= b[0] for a, b in zip(found, found[1:], strict=False))


@given(st.text(max_size=80))
def test_plain_keeps_every_offset(text):
    assert len(plain(text)) == len(text)


# --- dates -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("said", "date"), [
    ("el 23 de diciembre", dt.date(2026, 12, 23)),
    ("23 de dic de 2027", dt.date(2027, 12, 23)),
    ("diciembre 23", dt.date(2026, 12, 23)),
    ("el próximo viernes", dt.date(2026, 11, 27)),
    ("el viernes que viene", dt.date(2026, 11, 27)),
    ("este viernes", dt.date(2026, 11, 20)),
    ("mañana", dt.date(2026, 11, 18)),
    ("pasado manana", dt.date(2026, 11, 19)),
    ("en 3 días", dt.date(2026, 11, 20)),
    ("dentro de una semana", dt.date(2026, 11, 24)),
    ("a fin de mes", dt.date(2026, 11, 30)),
    ("pagar el 30", dt.date(2026, 11, 30)),
    ("next friday", dt.date(2026, 11, 27)),
])
def test_dates_in_spanish(said, date):
    assert [found for _, _, found in find_dates(said, TODAY, "es")] == [date]


@pytest.mark.parametrize("said", ["a las 7 de la mañana", "el 50%", "el 23 de cada mes"])
def test_not_dates(said):
    assert find_dates(said, TODAY, "es") == []


@given(st.dates(min_value=dt.date(2026, 11, 17), max_value=dt.date(2027, 11, 16)),
       st.booleans(), st.booleans())
def test_any_day_of_a_month_is_its_next_occurrence(date, lead, accents):
    said = f"{'el ' if lead else ''}{date.day} de {MONTHS[date.month - 1]}"
    if date.day == 29 and date.month == 2:
        return  # no Feb 29 in this window
    found = find_dates(said.upper() if accents else said, TODAY, "es")
    assert [value for _, _, value in found] == [date]


# --- reminder days and quiet hours ---------------------------------------------------------

@pytest.mark.parametrize(("said", "days"), [
    ("7, 3 y 1", [7, 3, 1]), ("5 y 2", [5, 2]), ("3 dias antes", [3]),
    ("una semana antes y el dia antes", [7, 1]),
    ("una semana, tres días y el día anterior", [7, 3, 1]),
    ("nomás el día antes", [1]), ("el dia antes y el mismo dia", [1, 0]),
    ("dos semanas y una semana antes", [14, 7]), ("el día que vence", [0]),
    ("a week before and the day before", [7, 1]),
])
def test_reminder_days_in_spanish(said, days):
    assert parse_reminder_days(said) == days
    assert parse_reminder_days(said, "es") == days


@given(st.lists(st.tuples(st.integers(min_value=1, max_value=7), st.booleans(), st.booleans(),
                          st.booleans()), min_size=1, max_size=3))
def test_any_list_of_days_or_weeks_before(items):
    phrases, expected = [], set()
    for count, weeks, in_words, with_before in items:
        number = SMALL[count] if in_words else str(count)
        unit = ("semana" if count == 1 else "semanas") if weeks else (
            "día" if count == 1 else "días")
        phrases.append(f"{number} {unit}{' antes' if with_before else ''}")
        expected.add(count * 7 if weeks else count)
    said = ", ".join(phrases[:-1]) + (" y " if len(phrases) > 1 else "") + phrases[-1]
    if max(expected) > 30:
        with pytest.raises(ReminderInputError):
            parse_reminder_days(said, "es")
        return
    assert parse_reminder_days(said, "es") == sorted(expected, reverse=True)


@pytest.mark.parametrize(("said", "hours"), [
    ("10pm a 7am", (22, 7)), ("de 9pm a 8am", (21, 8)),
    ("no después de las 10 de la noche ni antes de las 7", (22, 7)),
    ("de las 10 de la noche a las 7 de la mañana", (22, 7)),
    ("entre las 11 de la noche y las 6 de la manana", (23, 6)),
    ("de diez de la noche a siete de la mañana", (22, 7)),
    ("desde medianoche hasta las 8", (0, 8)), ("de 10 p.m. a 7 a.m.", (22, 7)),
])
def test_quiet_hours_in_spanish(said, hours):
    assert parse_quiet_hours(said) == hours


@given(st.integers(min_value=6, max_value=11), st.integers(min_value=5, max_value=11),
       st.sampled_from(["de {a} de la noche a {b} de la mañana",
                        "entre las {a} de la noche y las {b} de la manana",
                        "no despues de las {a} de la noche ni antes de las {b}"]))
def test_any_night_to_morning_range(start, end, template):
    assert parse_quiet_hours(template.format(a=start, b=end), "es") == (start + 12, end)


@given(st.text(max_size=60))
def test_reminder_answers_never_fail_but_with_a_reason(text):
    for parse in (parse_reminder_days, parse_quiet_hours):
        try:
            parse(text, "es")
        except ReminderInputError as error:
            assert error.reason in {"not_understood", "out_of_range", "too_many", "empty"}


# --- leaving a prompt, and questions typed at one ------------------------------------------

@pytest.mark.parametrize("said", ["cancelar", "Cancelar", "olvídalo", "ya no", "salir",
                                  "cancelar por favor", "ya no quiero", "no mejor cancela"])
def test_spanish_escape_words_cancel_even_at_a_secret_prompt(said):
    assert RULES.escape_intent(said, secret=False) == "cancel"
    assert RULES.escape_intent(said, secret=True) == "cancel"


@pytest.mark.parametrize("said", ["Perrito2026", "mejor no", "no", "salud", "cancelé mi tarjeta"])
def test_other_answers_are_no_escape(said):
    assert RULES.escape_intent(said, secret=True) is None


def test_help_in_spanish_is_no_escape_at_a_secret_prompt():
    assert RULES.escape_intent("ayuda", secret=False) == "help"
    assert RULES.escape_intent("ayuda", secret=True) is None


@pytest.mark.parametrize("said", ["cuanto debo", "¿cuánto debo?", "puedo pagar por telefono",
                                  "por que no paso mi pago", "hay periodo de gracia"])
def test_spanish_questions_look_like_questions(said):
    assert looks_like_question(said)


@pytest.mark.parametrize(("slot", "said", "answer"), [
    ("username", "mi usuario es alex", "alex"), ("username", "soy alex", "alex"),
    ("full_name", "me llamo Jordan Lee", "Jordan Lee"),
    ("payment_method", "con la visa", "visa"),
])
def test_spanish_lead_ins_come_off_the_answer(slot, said, answer):
    assert RULES.answer_part(slot, said) == answer
    assert not looks_like_question(said)
