"""Languages as data: a folder under data/languages/ (or anywhere passed in) adds a language,
its texts, its training examples and the words that choose it, with no code change."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialogs.engine import Domain
from dialogs.engine.domain import LANGUAGES_DIR
from dialogs.engine.languages import LanguageChooser, load_languages, normalize
from dialogs.engine.nlu import NluInterpreter
from dialogs.engine.responses import ResponseGenerator
from tests.engine_fakes import build_engine, texts

TEST_LANGUAGES = Path(__file__).resolve().parents[1] / "data" / "languages"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def domain() -> Domain:
    return Domain.load(language_dirs=(LANGUAGES_DIR, TEST_LANGUAGES))


@pytest.fixture
def engine(sqlite_engine, clock, services, domain):
    return build_engine(sqlite_engine, clock=clock, domain=domain)


def test_every_folder_is_a_language_and_its_code_a_value_of_the_slot(domain):
    assert set(domain.languages) == {"en", "es", "xx"}
    assert set(domain.slots["language"].values) >= {"en", "es", "xx"}


def test_a_response_with_a_text_in_the_language_uses_it_and_falls_back_to_english(domain):
    responses = ResponseGenerator(domain.responses)
    assert responses.render("utter_greet", {"language": "xx"})["text"] \
        == "Xo xo! HealthPay xolish."
    english = {v["text"] for v in domain.responses["utter_goodbye"] if not v.get("condition")}
    assert responses.render("utter_goodbye", {"language": "xx"})["text"] in english


def test_the_language_menu_offers_every_language_by_its_own_name(domain):
    menu = ResponseGenerator(domain.responses).render("utter_choose_language", {"language": "es"})
    assert menu["text"] == "¿En qué idioma prefiere que le escriba?"
    assert [b["title"] for b in menu["buttons"]] == ["English", "Español", "Xolish"]


async def test_a_made_up_language_is_chosen_and_answered_in(engine):
    assert texts(await engine.handle_message("rest", "m1", "Xolish!")) \
        == ["Xo! Xolish from now on."]
    assert texts(await engine.handle_message("rest", "m1", "hi"))[0] == "Xo xo! HealthPay xolish."


async def test_the_language_menu_and_a_tap_on_it(engine):
    menu = await engine.handle_message("rest", "m2", "/idioma")
    assert texts(menu) == ["Which language would you like me to use?"]
    payload = menu.messages[0].buttons[1]["payload"]
    assert texts(await engine.handle_message("rest", "m2", payload)) \
        == ["Muy bien, desde ahora le escribo en español."]
    assert texts(await engine.handle_message("rest", "m2", "English")) \
        == ["OK, I'll write to you in English from now on."]


async def test_a_choice_inside_a_form_asks_the_form_question_again_in_the_new_language(engine):
    await engine.handle_message("rest", "m3", "remind me")
    asked = texts(await engine.handle_message("rest", "m3", "español"))
    assert asked[0] == "Muy bien, desde ahora le escribo en español."
    assert len(asked) == 2  # the reminder form's question again


async def test_telegram_language_code_sets_the_language_on_first_contact_only(engine):
    first = await engine.handle_message("telegram", "7", "hello",
                                        metadata={"language_code": "es-419"})
    assert texts(first)[0].startswith("¡Hola!")
    await engine.handle_message("telegram", "7", "english")
    later = await engine.handle_message("telegram", "7", "hello",
                                        metadata={"language_code": "es"})
    assert not texts(later)[0].startswith("¡Hola!")


async def test_a_language_code_without_a_folder_leaves_english(engine):
    result = await engine.handle_message("telegram", "8", "hello",
                                         metadata={"language_code": "de"})
    assert not texts(result)[0].startswith("¡Hola!")


def test_the_detector_only_decides_on_text_long_enough_and_among_our_languages():
    chooser = LanguageChooser(load_languages([LANGUAGES_DIR]))
    assert chooser.detect("quiero pagar mi factura de este mes") == "es"
    assert chooser.detect("I want to pay my bill for this month") == "en"
    assert chooser.detect("hola") is None  # too short to tell
    assert chooser.detect("Jordan Lee") is None
    assert chooser.detect("ich möchte meine Rechnung bezahlen bitte") in {"en", "es", None}


async def test_a_message_in_spanish_switches_to_spanish(engine):
    result = await engine.handle_message("rest", "m4", "hola buenos dias como esta usted")
    assert texts(result)[0].startswith("¡Hola!")


async def test_no_language_is_decided_at_a_secret_prompt(sqlite_engine, clock, services, domain):
    from dialogs.engine.language_turns import language_step
    from dialogs.engine.tracker import Tracker

    tracker = Tracker("rest:x", domain, [
        {"event": "active_loop", "name": "login_form"},
        {"event": "slot", "name": "requested_slot", "value": "password"}])
    step = language_step(LanguageChooser(domain.languages), tracker, "español", {},
                         {"password"})
    assert step.events == () and step.replies == ()


def test_choice_words_compare_without_case_accents_or_punctuation():
    assert normalize("¡ESPAÑOL!") == "espanol"
    assert LanguageChooser(load_languages([LANGUAGES_DIR])).explicit_choice("En Español") == "es"


def test_the_nlu_trains_on_every_language_folder(tmp_path):
    languages = load_languages([LANGUAGES_DIR, TEST_LANGUAGES])
    interpreter = NluInterpreter.load(
        ROOT / "data" / "nlu.yml", tmp_path,
        extra_nlu_paths=[lang.nlu_path for lang in languages.values() if lang.nlu_path])
    assert interpreter.parse("xoxo zumba")["intent"]["name"] == "greet"
    assert interpreter.parse("plix quorp mi zaldo")["intent"]["name"] == "make_payment"


async def test_a_choice_in_a_logged_in_chat_is_kept_on_the_account(engine, services,
                                                                   monkeypatch):
    from services.member_language import language_of
    from services.sessions import link_chat
    from tests.factories import make_member, use_fast_password_hashing

    use_fast_password_hashing(monkeypatch)
    member = make_member(services)
    link_chat(services, channel="console", chat_id="42", account_id=member.id)
    assert language_of(services, member.id) == "en"

    await engine.handle_message("console", "42", "español")
    assert language_of(services, member.id) == "es"
    await engine.handle_message("console", "42", "xolish")
    assert language_of(services, member.id) == "xx"


async def test_a_choice_before_log_in_stays_on_the_chat_only(engine, services):
    assert texts(await engine.handle_message("console", "43", "español")) \
        == ["Muy bien, desde ahora le escribo en español."]


async def test_questions_are_answered_in_the_chat_language(engine):
    await engine.handle_message("rest", "m5", "español")
    menu = await engine.handle_message("rest", "m5", '/help{"faq_topic": "questions"}')
    assert texts(menu) == ["¿Qué le gustaría saber?"]
    assert menu.messages[0].buttons[0]["title"] == "Si no hago un pago"
    answer = await engine.handle_message("rest", "m5", '/help{"faq_topic": "cannot_afford"}')
    assert texts(answer)[0].startswith("El ") and "no ofrece planes de pago" in texts(answer)[0]
