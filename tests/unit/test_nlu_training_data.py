"""Reading Rasa 3.x NLU data, and the shape of HealthPay's own training and test files."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
import yaml

from dialogs.engine.nlu.training_data import (
    EntityAnnotation,
    TrainingDataError,
    load_nlu_data,
    parse_example,
    parse_nlu_yaml,
)

ROOT = Path(__file__).resolve().parents[2]
NLU_FILE = ROOT / "data" / "nlu.yml"
TEST_FILE = ROOT / "tests" / "data" / "nlu_test.yml"
INTENTS = {
    "greet", "goodbye", "thank", "affirm", "deny", "cancel", "help", "out_of_scope", "inform",
    "log_in", "log_out", "create_account", "forgot_password", "login_problem", "check_balance",
    "payment_history", "make_payment", "setup_autopay", "cancel_autopay",
    "manage_payment_methods", "payment_declined", "payment_missing", "missed_payment",
    "reminder_settings", "talk_to_human",
}


def test_annotations_are_stripped_and_located():
    example = parse_example("pay [$120](amount) on [friday](date) please", "make_payment")
    assert example.text == "pay $120 on friday please"
    assert example.entities == (
        EntityAnnotation("amount", 4, 8, "$120", "$120"),
        EntityAnnotation("date", 12, 18, "friday", "friday"),
    )


def test_every_rasa_annotation_form_is_read():
    example = parse_example(
        'from [checking]{"entity": "method_type", "value": "bank_account"} and '
        '[dental](plan_type:dental plan) and [both][{"entity": "plan_type"}]', "inform")
    assert example.text == "from checking and dental and both"
    assert [(a.entity, a.text, a.value) for a in example.entities] == [
        ("method_type", "checking", "bank_account"),
        ("plan_type", "dental", "dental plan"),
        ("plan_type", "both", "both"),
    ]


def test_sections_and_synonyms_are_collected():
    data = parse_nlu_yaml("""
version: "3.1"
nlu:
- intent: inform
  examples: |
    - [checking account]{"entity": "method_type", "value": "bank_account"}
- intent: greet
  examples:
    - text: hi
    - text: hello
- synonym: health
  examples: |
    - Medical
- lookup: plan_type
  examples: |
    - dental
- regex: zip_code
  examples: |
    - \\d{5}
""")
    assert data.intents == ["inform", "greet"]
    assert [e.text for e in data.examples] == ["checking account", "hi", "hello"]
    assert data.synonyms == {"checking account": "bank_account", "medical": "health"}
    assert data.lookups == {"plan_type": ("dental",)}
    assert data.regexes == {"zip_code": (r"\d{5}",)}


@pytest.mark.parametrize("content", [
    "nlu: [unclosed",
    "- just a list",
    "nlu:\n- just a string",
    "nlu:\n- intent: greet\n",
    'nlu:\n- intent: greet\n  examples: |\n    - [hi]{"entity": oops}\n',
])
def test_malformed_data_is_refused_with_a_reason(content):
    with pytest.raises(TrainingDataError):
        parse_nlu_yaml(content)


# --- the project's data ---------------------------------------------------------------------


def test_training_data_is_rasa_3_1_with_exactly_the_bots_intents():
    document = yaml.safe_load(NLU_FILE.read_text())
    assert document["version"] == "3.1"
    assert set(load_nlu_data(NLU_FILE).intents) == INTENTS


def test_every_intent_has_at_least_25_distinct_examples():
    counts = Counter(e.intent for e in load_nlu_data(NLU_FILE).examples)
    assert {intent: n for intent, n in counts.items() if n < 25} == {}


def test_no_example_is_taught_as_two_intents():
    intents_by_text: dict[str, set[str]] = {}
    for example in load_nlu_data(NLU_FILE).examples:
        intents_by_text.setdefault(example.text.lower(), set()).add(example.intent)
    assert {t: i for t, i in intents_by_text.items() if len(i) > 1} == {}


def test_held_out_examples_are_not_in_the_training_data():
    trained = {e.text.lower() for e in load_nlu_data(NLU_FILE).examples}
    held_out = load_nlu_data(TEST_FILE)
    assert len(held_out.examples) >= 100 and set(held_out.intents) == INTENTS
    assert trained.isdisjoint(e.text.lower() for e in held_out.examples)


def test_annotated_builtin_entities_match_what_the_extractor_would_find():
    """The annotations Rasa would train on and the engine's own extraction agree; only bare
    numbers that are not money ("what's 2 plus 2") may be found without an annotation."""
    from dialogs.engine.nlu.entities import BUILTIN_ENTITIES, EntityExtractor

    data = load_nlu_data(NLU_FILE)
    extractor = EntityExtractor.from_data(data)
    disagreements = []
    for example in data.examples:
        expected = {(a.entity, a.start, a.end) for a in example.entities
                    if a.entity in BUILTIN_ENTITIES}
        extracted = {(e["entity"], e["start"], e["end"])
                     for e in extractor.extract(example.text, dt.date(2026, 11, 17))
                     if e["entity"] in BUILTIN_ENTITIES}
        unannotated = {e for e in extracted - expected if e[0] != "amount"}
        if not expected <= extracted or unannotated:
            disagreements.append((example.text, expected, extracted))
    assert disagreements == []
