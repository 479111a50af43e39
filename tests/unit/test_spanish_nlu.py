"""Spanish understanding: the model trained on data/nlu.yml and every language folder reads
the held-out Spanish set (tests/data/nlu_test_es.yml, half answers typed inside forms), and
the Spanish examples cost English nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialogs.engine.domain import LANGUAGES_DIR
from dialogs.engine.languages import load_languages
from dialogs.engine.nlu import NluInterpreter
from dialogs.engine.nlu.evaluation import evaluate
from dialogs.engine.nlu.training_data import load_nlu_data

ROOT = Path(__file__).resolve().parents[2]
SPANISH_TEST = ROOT / "tests" / "data" / "nlu_test_es.yml"
ENGLISH_TEST = ROOT / "tests" / "data" / "nlu_test.yml"
FORM_ANSWERS = {"inform", "affirm", "deny", "cancel", "help"}


@pytest.fixture(scope="module")
def interpreter(tmp_path_factory) -> NluInterpreter:
    languages = load_languages([LANGUAGES_DIR])
    return NluInterpreter.load(
        ROOT / "data" / "nlu.yml", tmp_path_factory.mktemp("nlu-cache"),
        extra_nlu_paths=[lang.nlu_path for lang in languages.values() if lang.nlu_path])


def test_the_held_out_spanish_set_is_large_and_half_answers_in_forms():
    examples = load_nlu_data(SPANISH_TEST).examples
    assert len(examples) >= 200
    assert sum(e.intent in FORM_ANSWERS for e in examples) >= len(examples) / 2


def test_no_held_out_spanish_message_is_in_the_training_data():
    trained = {e.text.casefold() for path in (ROOT / "data" / "nlu.yml",
                                              LANGUAGES_DIR / "es" / "nlu.yml")
               for e in load_nlu_data(path).examples}
    assert [e.text for e in load_nlu_data(SPANISH_TEST).examples
            if e.text.casefold() in trained] == []


def test_held_out_spanish_messages_are_understood(interpreter):
    # As the engine parses a Spanish-speaking member's message: with their language.
    report = evaluate(interpreter, load_nlu_data(SPANISH_TEST).examples, "es")
    assert report.accuracy >= 0.95, report.errors


def test_english_is_understood_as_well_as_before(interpreter):
    report = evaluate(interpreter, load_nlu_data(ENGLISH_TEST).examples)
    assert report.accuracy >= 0.95, report.errors
