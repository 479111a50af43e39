"""No English leaks in Spanish: every response in data/domain.yml (the list comes from there,
so a response added later without its Spanish text is named here), every button and every
placeholder has its Spanish counterpart in data/languages/es/."""

from __future__ import annotations

import re

import pytest
import yaml

from dialogs.engine import Domain
from dialogs.engine.domain import DATA_DIR
from services.answer_texts import answers_in

LANGUAGE = "es"
# domain.yml's responses and those the default language's folder adds (responses*.yml).
DOMAIN_RESPONSES = sorted(
    {*yaml.safe_load((DATA_DIR / "domain.yml").read_text())["responses"],
     *(name for path in (DATA_DIR / "languages" / "en").glob("responses*.yml")
       for name in (yaml.safe_load(path.read_text()) or {}).get("responses") or {})})
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load()


def _variations(domain: Domain, name: str, language: str | None) -> list[dict]:
    variations = domain.responses.get(name) or []
    if language is None:
        return [v for v in variations if not v.get("condition")]
    return [v for v in variations if any(c.get("value") == language
                                         for c in v.get("condition") or ())]


def test_every_response_has_a_spanish_text(domain):
    missing = [name for name in DOMAIN_RESPONSES if not _variations(domain, name, LANGUAGE)]
    assert missing == [], f"responses without a Spanish text in data/languages/es: {missing}"


@pytest.mark.parametrize("name", DOMAIN_RESPONSES)
def test_spanish_buttons_do_what_the_english_ones_do(domain, name):
    english = _variations(domain, name, None)
    for spanish in _variations(domain, name, LANGUAGE):
        assert [b["payload"] for b in spanish.get("buttons") or ()] \
            == [b["payload"] for b in english[0].get("buttons") or ()]


@pytest.mark.parametrize("name", DOMAIN_RESPONSES)
def test_spanish_texts_fill_the_same_values(domain, name):
    english = {p for v in _variations(domain, name, None)
               for p in _PLACEHOLDER.findall(v.get("text") or "")}
    for spanish in _variations(domain, name, LANGUAGE):
        assert set(_PLACEHOLDER.findall(spanish.get("text") or "")) == english


def test_every_notice_template_and_telegram_command_has_spanish():
    languages = Domain.load().languages
    english, spanish = languages["en"], languages[LANGUAGE]
    assert set(english.commands) == set(spanish.commands)
    notices = {code: yaml.safe_load((DATA_DIR / "languages" / code / "notices.yml").read_text())
               for code in ("en", LANGUAGE)}
    assert set(notices["en"]["texts"]) == set(notices[LANGUAGE]["texts"])
    assert set(notices["en"]["plans"]) == set(notices[LANGUAGE]["plans"])
    for name, text in notices["en"]["texts"].items():
        assert set(_PLACEHOLDER.findall(notices[LANGUAGE]["texts"][name])) \
            == set(_PLACEHOLDER.findall(text)), name


def _leaves(tree: object, path: str = "") -> dict[str, object]:
    if isinstance(tree, dict):
        return {k: v for key, sub in tree.items() for k, v in _leaves(sub, f"{path}/{key}").items()}
    return {path: tree}


def test_every_answer_has_spanish_with_the_same_placeholders_and_payloads():
    english = yaml.safe_load((DATA_DIR / "answers.yml").read_text())
    spanish_only = yaml.safe_load((DATA_DIR / "languages" / LANGUAGE / "answers.yml").read_text())
    assert set(_leaves(english)) == set(_leaves(spanish_only))
    spanish = answers_in(english, LANGUAGE)
    for path, text in _leaves(english).items():
        if isinstance(text, str):
            assert set(_PLACEHOLDER.findall(_leaves(spanish)[path])) \
                == set(_PLACEHOLDER.findall(text)), path
    for name, topic in english["topics"].items():
        assert [b["payload"] for b in spanish["topics"][name]["buttons"]] \
            == [b["payload"] for b in topic["buttons"]]


def test_the_spanish_policy_answers_promise_no_payment_plan_and_no_late_fees():
    texts = yaml.safe_load((DATA_DIR / "languages" / LANGUAGE / "answers.yml").read_text())
    assert "no ofrece planes de pago" in texts["texts"]["cannot_afford"]
    assert "no cobra recargos" in texts["texts"]["missed_payment"]["after"]


def test_every_page_text_has_spanish_with_the_same_placeholders_and_markup():
    english, spanish = (
        _leaves(yaml.safe_load((DATA_DIR / "languages" / code / "pages.yml").read_text()))
        for code in ("en", LANGUAGE))
    assert set(english) - set(spanish) == set()
    for path, text in english.items():
        assert set(_PLACEHOLDER.findall(spanish[path])) == set(_PLACEHOLDER.findall(text)), path
        assert re.findall(r"</?\w+>", spanish[path]) == re.findall(r"</?\w+>", text), path
