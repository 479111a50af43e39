"""Services' refusals in every language: each `key=` raised in services/ has a text in every
language folder of data/languages/ with exactly the placeholders its values fill, each text
formats with such values, and a language (a test's made-up one too) is data only."""

from __future__ import annotations

import ast
import datetime as dt
import importlib
import pkgutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import services
from services import error_texts
from services.accounts import _valid_username
from services.error_texts import (
    LANGUAGES_DIR,
    error_text,
    load_error_texts,
    placeholder_name,
    placeholders,
    use_language_dirs,
)
from services.errors import AccountLocked, DomainError, InvalidAmount, NotAllowed
from services.identity import normalize_ssn, parse_date_of_birth
from services.money import parse_amount
from services.passwords import check_password_policy

ROOT = Path(__file__).resolve().parents[2]
SERVICES_DIR = ROOT / "services"
TEST_LANGUAGES = ROOT / "tests" / "data" / "languages"
REAL_LANGUAGES = sorted(p.parent.name for p in LANGUAGES_DIR.glob("*/errors.yml"))
# DomainErrors raised without a key, on purpose: the sandbox's hosted card page shows these
# field messages next to its fields, in the page's own (English) words; no chat shows them.
NO_KEY_NEEDED = {"MethodDetailsInvalid"}


def _domain_error_names() -> set[str]:
    for module in pkgutil.walk_packages(services.__path__, "services."):
        importlib.import_module(module.name)
    names, todo = set(), [DomainError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return names


def _call_name(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)


def _keys_of(node: ast.expr) -> list[str]:
    """A literal key, or the two literals of `"a" if ... else "b"`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _keys_of(node.body) + _keys_of(node.orelse)
    raise AssertionError(f"a key must be a string literal: {ast.unparse(node)}")


def _raised_keys() -> tuple[dict[str, set[str]], list[str], list[str]]:
    """({key: the value names raised with it}, clashes, DomainErrors built without a key)."""
    error_names = _domain_error_names()
    found: dict[str, set[str]] = {}
    clashes, keyless = [], []
    for path in sorted(SERVICES_DIR.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.Call) or _call_name(node) not in error_names:
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            keywords = {k.arg: k.value for k in node.keywords}
            if "key" not in keywords:
                if _call_name(node) not in NO_KEY_NEEDED:
                    keyless.append(where)
                continue
            assert None not in keywords, f"{where}: name the values (no **values)"
            values = set(keywords) - {"key"}
            for key in _keys_of(keywords["key"]):
                if found.setdefault(key, values) != values:
                    clashes.append(f"{where}: {key} with {sorted(values)}, "
                                   f"elsewhere with {sorted(found[key])}")
    return found, clashes, keyless


RAISED, CLASHES, KEYLESS = _raised_keys()


def _expected_placeholders(key: str) -> set[str]:
    return {placeholder_name(name) for name in RAISED[key]}


@pytest.fixture
def test_language():
    use_language_dirs(LANGUAGES_DIR, TEST_LANGUAGES)
    yield
    use_language_dirs(LANGUAGES_DIR)


def test_the_keys_are_found_and_each_is_raised_with_the_same_values_everywhere():
    assert len(RAISED) > 80  # the collector sees the raise sites
    assert not CLASHES


def test_every_refusal_a_member_can_see_has_a_key():
    assert not KEYLESS


@pytest.mark.parametrize("language", REAL_LANGUAGES)
def test_every_language_has_a_text_for_every_key_with_its_placeholders(language):
    texts = load_error_texts([LANGUAGES_DIR])[language]
    assert sorted(set(RAISED) - set(texts)) == [], "keys without a text"
    assert sorted(set(texts) - set(RAISED)) == [], "texts no service raises"
    wrong = {key: (sorted(placeholders(text)), sorted(_expected_placeholders(key)))
             for key, text in texts.items() if placeholders(text) != _expected_placeholders(key)}
    assert wrong == {}


def test_spanish_is_there_and_a_made_up_language_may_leave_keys_out():
    assert "es" in REAL_LANGUAGES
    made_up = load_error_texts([TEST_LANGUAGES])["xx"]
    assert set(made_up) <= set(RAISED)
    assert all(placeholders(made_up[key]) == _expected_placeholders(key) for key in made_up)


# --- each text formats with values like those it is raised with -----------------------------

_TIMES = st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2040, 1, 1),
                      timezones=st.just(ZoneInfo("America/New_York")))


def _value_strategy(name: str):
    if name.endswith("_cents"):
        return st.integers(min_value=-10**9, max_value=10**9)
    if name.endswith("_time"):
        return _TIMES
    return st.one_of(st.integers(min_value=0, max_value=10**6),
                     st.text(alphabet=st.characters(codec="utf-8"), max_size=20))


@st.composite
def _raised_error(draw):
    key = draw(st.sampled_from(sorted(RAISED)))
    values = {name: draw(_value_strategy(name)) for name in sorted(RAISED[key])}
    return NotAllowed("English.", key=key, **values)


@settings(max_examples=300, deadline=None)
@given(_raised_error(), st.sampled_from(REAL_LANGUAGES))
def test_each_text_formats_with_its_values(error, language):
    text = error_text(error, language)
    assert text != "English."
    for value in error.values.values():
        if isinstance(value, str):
            assert value in text


# --- real refusals, read in Spanish ---------------------------------------------------------


def _refusal(call, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    return caught.value


def test_real_refusals_read_in_spanish_and_in_english_as_before():
    amount = _refusal(parse_amount, "twelve")
    assert amount.message == ("I couldn't read that as an amount. Please type it like 120 or "
                              "$120.50.")
    assert error_text(amount, "en") == amount.message
    assert error_text(amount, None) == amount.message
    assert error_text(amount, "es") == ("No pude leer esa cantidad. Por favor, escríbala así: "
                                        "120 o $120.50.")
    most = _refusal(parse_amount, "20000", max_cents=1_000_000)
    assert error_text(most, "es") == "Lo máximo que puede pagar de una vez es $10,000.00."
    assert error_text(_refusal(_valid_username, "ab"), "es") \
        == "Su nombre de usuario debe tener de 4 a 32 caracteres."
    assert error_text(_refusal(check_password_policy, "123"), "es").startswith(
        "Su contraseña necesita al menos")
    assert "mes primero" in error_text(
        _refusal(parse_date_of_birth, "14/03/1985", today=dt.date(2026, 1, 1)), "es")
    assert error_text(_refusal(normalize_ssn, "12"), "es").startswith(
        "Por favor, escriba los 9 dígitos")


def test_a_lock_says_the_time_in_the_language():
    until = dt.datetime(2026, 12, 4, 20, 45, tzinfo=ZoneInfo("America/New_York"))
    error = AccountLocked("Paused until 8:45 PM EST.", until, key="login_locked",
                          until_time=until)
    assert "después de 8:45 p.m. EST" in error_text(error, "es")
    assert error.locked_until == until


def test_an_amount_reads_formatted_for_the_language():
    error = InvalidAmount("That's more than you owe ($1,234.50).", key="amount_over_balance",
                          owed_cents=123450)
    assert error_text(error, "es") == ("Eso es más de lo que debe ($1,234.50). Por favor, "
                                       "pague $1,234.50 o menos.")


# --- a language is data only ----------------------------------------------------------------


def test_a_made_up_language_reads_its_texts_and_english_for_the_rest(test_language):
    over = InvalidAmount("That's more than you owe ($5.00).", key="amount_over_balance",
                         owed_cents=500)
    assert error_text(over, "xx") == "Xo! $5.00 xo plix. Plix $5.00 or xess."
    assert error_text(over, "es").startswith("Eso es más")  # the real folders still count
    missing = _refusal(parse_amount, "")
    assert error_text(missing, "xx") == missing.message


def test_the_made_up_language_is_not_read_unless_its_folder_is_given():
    over = InvalidAmount("More than you owe.", key="amount_over_balance", owed_cents=500)
    assert error_text(over, "xx") == "More than you owe."


def test_a_text_that_does_not_fit_its_values_gives_english_not_a_traceback(tmp_path):
    (tmp_path / "zz").mkdir()
    (tmp_path / "zz" / "errors.yml").write_text(
        'errors:\n  nothing_owed: "Zz {missing} zz {"\n', encoding="utf-8")
    try:
        use_language_dirs(LANGUAGES_DIR, tmp_path)
        error = NotAllowed("Nothing to pay.", key="nothing_owed")
        assert error_text(error, "zz") == "Nothing to pay."
    finally:
        use_language_dirs(LANGUAGES_DIR)
    assert error_texts.language_dirs() == (LANGUAGES_DIR,)
