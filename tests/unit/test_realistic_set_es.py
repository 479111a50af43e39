"""The Spanish realistic set (tests/data/realistic_es) measures understanding of Spanish as
members type it, on messages the NLU never trained on, half of them answers inside forms."""

from bench.realistic import cases_dir, load_cases
from dialogs.engine.domain import DATA_DIR
from dialogs.engine.nlu.training_data import load_nlu_data
from services.language_words import plain

TRAINING = (DATA_DIR / "nlu.yml", DATA_DIR / "languages" / "es" / "nlu.yml")


def _normal(text: str) -> str:
    """Without case, accents or punctuation: "¿Cuánto debo?" is "cuanto debo"."""
    return " ".join("".join(c if c.isalnum() else " " for c in plain(text)).split())


def test_no_message_of_the_set_is_in_the_training_data():
    trained = {_normal(example.text) for path in TRAINING
               for example in load_nlu_data(path).examples}

    assert sorted({_normal(case.text) for case in load_cases(cases_dir("es"))} & trained) == []


def test_the_set_is_large_with_half_its_messages_inside_forms():
    cases = load_cases(cases_dir("es"))

    assert len(cases) >= 200
    assert sum(case.in_form for case in cases) >= len(cases) / 2
    assert all(case.expect for case in cases), "every case says what should happen"
