"""The realistic set (tests/data/realistic) measures understanding on messages the NLU never
trained on, across every flow, half of them answers typed inside forms."""

from collections import Counter

from bench.realistic import all_texts, load_cases
from dialogs.engine.nlu.interpreter import DEFAULT_NLU_PATH
from dialogs.engine.nlu.training_data import load_nlu_data

FLOWS = {"log_in", "create_account", "balance", "pay", "autopay", "methods", "declined",
         "missing_payment", "reminders", "questions", "handoff"}


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def test_no_message_of_the_set_is_in_the_training_data():
    trained = {_normal(example.text) for example in load_nlu_data(DEFAULT_NLU_PATH).examples}

    assert sorted({_normal(t) for t in all_texts()} & trained) == []


def test_the_set_covers_every_flow_with_half_its_messages_inside_forms():
    cases = load_cases()

    assert len(cases) >= 300
    assert sum(case.in_form for case in cases) >= len(cases) / 2
    assert set(Counter(case.flow for case in cases)) >= FLOWS
    assert all(case.expect for case in cases), "every case says what should happen"
