"""The language each conversation is in, for what is said outside a turn
(dialogs/engine/conversation_languages.py)."""

from __future__ import annotations

from dialogs.engine.conversation_languages import ConversationLanguages
from dialogs.engine.languages import Language, LanguageChooser


def languages(kept: int = 10) -> ConversationLanguages:
    chooser = LanguageChooser({code: Language(code, code, f"{code}_US", (code,))
                               for code in ("en", "es")})
    return ConversationLanguages(chooser, "en", kept=kept)


def test_a_conversation_is_in_the_language_its_latest_turn_left():
    known = languages()
    known.remember("telegram", "1", "es")
    assert known.language_of("telegram", 1) == "es"
    known.remember("telegram", "1", "en")
    assert known.language_of("telegram", "1", language_code="es") == "en"


def test_an_unknown_conversation_takes_the_apps_language_if_we_have_it_else_the_default():
    known = languages()
    assert known.language_of("telegram", "2", language_code="es-419") == "es"
    assert known.language_of("telegram", "2", language_code="pt-br") == "en"
    assert known.language_of("rest", "2") == "en"


def test_the_least_recently_used_are_forgotten_first():
    known = languages(kept=2)
    known.remember("rest", "a", "es")
    known.remember("rest", "b", "es")
    known.remember("rest", "a", "es")  # used again: "b" is now the oldest
    known.remember("rest", "c", "es")
    assert [known.language_of("rest", s) for s in "abc"] == ["es", "en", "es"]
