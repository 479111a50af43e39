"""The interpreter: Rasa's parse format, accuracy on held-out messages, the fallback, the cache,
and messages that are not messages."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.engine.nlu import NluInterpreter
from dialogs.engine.nlu.classifier import IntentClassifier, fit_features_and_svm
from dialogs.engine.nlu.entities import EntityExtractor
from dialogs.engine.nlu.evaluation import evaluate
from dialogs.engine.nlu.interpreter import training_text
from dialogs.engine.nlu.training_data import load_nlu_data

ROOT = Path(__file__).resolve().parents[2]
NLU_FILE = ROOT / "data" / "nlu.yml"
TEST_FILE = ROOT / "tests" / "data" / "nlu_test.yml"
TODAY = dt.date(2026, 11, 17)

SMALL_NLU = """\
version: "3.1"
nlu:
- intent: greet
  examples: |
    - hi
    - hello
    - good morning
- intent: make_payment
  examples: |
    - pay my bill
    - pay [$120](amount)
    - i want to pay my premium
- intent: check_balance
  examples: |
    - what is my balance
    - how much do i owe
    - balance please
"""


@pytest.fixture(scope="module")
def interpreter(tmp_path_factory) -> NluInterpreter:
    return NluInterpreter.load(NLU_FILE, tmp_path_factory.mktemp("nlu-cache"))


@pytest.fixture
def small_nlu(tmp_path) -> Path:
    path = tmp_path / "nlu.yml"
    path.write_text(SMALL_NLU)
    return path


# --- the parse ------------------------------------------------------------------------------


def test_a_parse_has_rasas_shape(interpreter):
    parse = interpreter.parse("I want to pay $85.50 next Friday", today=TODAY)
    assert set(parse) == {"text", "intent", "intent_ranking", "entities"}
    assert parse["text"] == "I want to pay $85.50 next Friday"
    assert parse["intent"]["name"] == "make_payment"
    ranking = parse["intent_ranking"]
    assert ranking[0] == parse["intent"] and len(ranking) == 10
    confidences = [r["confidence"] for r in ranking]
    assert confidences == sorted(confidences, reverse=True)
    assert all(isinstance(c, float) and 0.0 <= c <= 1.0 for c in confidences)
    assert sum(confidences) <= 1.0 + 1e-9
    assert parse["entities"] == [
        {"entity": "amount", "start": 14, "end": 20, "value": 8550,
         "extractor": "HealthPayEntityExtractor"},
        {"entity": "date", "start": 21, "end": 32, "value": "2026-11-27",
         "extractor": "HealthPayEntityExtractor"},
    ]


def test_synonyms_from_the_data_are_applied(interpreter):
    parse = interpreter.parse("autopay from my checking account")
    assert [(e["entity"], e["value"], e.get("processors")) for e in parse["entities"]] == [
        ("method_type", "bank_account", ["EntitySynonymMapper"])
    ]


def test_held_out_messages_are_understood(interpreter):
    report = evaluate(interpreter, load_nlu_data(TEST_FILE).examples)
    assert report.examples >= 100
    assert report.accuracy >= 0.85, report.errors
    assert all(score.recall == 1.0 for score in report.entities), report.entities


@pytest.mark.parametrize(("text", "intent"), [
    ("pay my premim", "make_payment"),
    ("whats my ballance", "check_balance"),
    ("I paid but it doesn't show", "payment_missing"),
    ("my card was declined", "payment_declined"),
    ("what happens if I miss a payment", "missed_payment"),
    ("I can't log in", "login_problem"),
    ("log in", "log_in"),
    ("forgot my password", "forgot_password"),
    ("i don't want autopay anymore", "cancel_autopay"),
    ("autopay", "setup_autopay"),
    ("HC-7K3M-9Q2D", "payment_missing"),  # a bare reference asks where that payment is
    ("its hc7k3m9q2d", "payment_missing"),
    ("what about HC-7K3M-9Q2D", "payment_missing"),
])
def test_the_intents_members_mean(interpreter, text, intent):
    assert interpreter.parse(text)["intent"]["name"] == intent


def test_scoring_without_scikit_learn_agrees_with_it():
    data = load_nlu_data(NLU_FILE)
    extractor = EntityExtractor.from_data(data)
    texts = [training_text(extractor, e.text) for e in data.examples]
    features, svm = fit_features_and_svm(texts, [e.intent for e in data.examples])
    classifier = IntentClassifier.from_fitted(features, svm, temperature=0.2)
    held_out = [training_text(extractor, e.text) for e in load_nlu_data(TEST_FILE).examples]
    expected = svm.decision_function(features.transform(held_out))
    ours = np.array([classifier.decision(text) for text in held_out])
    np.testing.assert_allclose(ours, expected, atol=1e-9)
    restored = IntentClassifier.from_arrays(classifier.to_arrays())
    assert [restored.rank(t) for t in held_out] == [classifier.rank(t) for t in held_out]


# --- the fallback ---------------------------------------------------------------------------


def ranked(*pairs: tuple[str, float]) -> dict:
    ranking = [{"name": name, "confidence": confidence} for name, confidence in pairs]
    return {"text": "x", "intent": ranking[0], "intent_ranking": ranking, "entities": []}


def test_a_confident_parse_is_acted_on(interpreter):
    assert interpreter.suggestions(ranked(("make_payment", 0.92), ("check_balance", 0.05))) is None
    assert interpreter.suggestions(interpreter.parse("pay my bill")) is None


def test_an_unsure_parse_offers_the_likeliest_intents_but_never_out_of_scope(interpreter):
    parse = ranked(("make_payment", 0.40), ("out_of_scope", 0.30), ("check_balance", 0.2),
                   ("payment_history", 0.05), ("help", 0.05))
    assert interpreter.suggestions(parse) == ["make_payment", "check_balance", "payment_history"]
    assert interpreter.suggestions(parse, n=2) == ["make_payment", "check_balance"]


def test_a_close_second_is_ambiguous_even_above_the_threshold(small_nlu, tmp_path):
    lenient = NluInterpreter.load(small_nlu, tmp_path, confidence_threshold=0.3,
                                  ambiguity_margin=0.1)
    assert lenient.suggestions(ranked(("make_payment", 0.46), ("check_balance", 0.40))) == [
        "make_payment", "check_balance"
    ]
    assert lenient.suggestions(ranked(("make_payment", 0.46), ("check_balance", 0.30))) is None


@pytest.mark.parametrize(("text", "both"), [
    ("i want to pay, or see what i owe", {"make_payment", "check_balance"}),
    ("reset password or unlock account", {"forgot_password", "login_problem"}),
])
def test_a_message_asking_for_two_things_gets_choices(interpreter, text, both):
    offered = interpreter.suggestions(interpreter.parse(text))
    assert offered is not None and both <= set(offered)


# --- the cache ------------------------------------------------------------------------------


def test_the_second_start_loads_the_cached_model(small_nlu, tmp_path):
    cache = tmp_path / "cache"
    first = NluInterpreter.load(small_nlu, cache)
    second = NluInterpreter.load(small_nlu, cache)
    assert (first.loaded_from_cache, second.loaded_from_cache) == (False, True)
    assert second.cache_file == first.cache_file and first.cache_file.parent == cache
    assert list(cache.iterdir()) == [first.cache_file]
    assert second.parse("pay my bill", today=TODAY) == first.parse("pay my bill", today=TODAY)


def test_changed_data_retrains_and_replaces_the_old_cache(small_nlu, tmp_path):
    cache = tmp_path / "cache"
    old = NluInterpreter.load(small_nlu, cache)
    small_nlu.write_text(SMALL_NLU + "    - show me my bill\n")
    new = NluInterpreter.load(small_nlu, cache)
    assert not new.loaded_from_cache and new.cache_file != old.cache_file
    assert list(cache.iterdir()) == [new.cache_file]


def test_a_damaged_cache_is_retrained_not_fatal(small_nlu, tmp_path):
    cache = tmp_path / "cache"
    cache_file = NluInterpreter.load(small_nlu, cache).cache_file
    cache_file.write_bytes(b"not a pickle")
    again = NluInterpreter.load(small_nlu, cache)
    assert not again.loaded_from_cache
    assert NluInterpreter.load(small_nlu, cache).loaded_from_cache


def test_no_card_number_in_the_training_data_reaches_the_cache(tmp_path):
    nlu = tmp_path / "nlu.yml"
    nlu.write_text(SMALL_NLU + """\
- intent: inform
  examples: |
    - my card is 4242 4242 4242 4242
    - [4000 0000 0000 0002](card_number)
    - use 5555555555554444 please
""")
    cache_file = NluInterpreter.load(nlu, tmp_path / "cache").cache_file
    with np.load(cache_file, allow_pickle=False) as arrays:
        texts = " ".join(str(arrays[name]) for name in arrays.files
                         if arrays[name].dtype.kind == "U")
    assert "premium" in texts and "zzamountzz" in texts  # the vocabulary is in there
    for digits in ("4242", "0002", "5555555555554444", "4444"):
        assert digits not in texts


def test_the_default_cache_dir_is_used_when_none_is_given(small_nlu, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    loaded = NluInterpreter.load(small_nlu, None)
    assert loaded.cache_file.parent.resolve() == (tmp_path / "var/cache/nlu").resolve()
    shutil.rmtree(tmp_path / "var")


# --- messages that are not messages ---------------------------------------------------------


@pytest.mark.parametrize("text", [
    "", "   ", "\n\t", "😀😀😀", "\x00\x07\x1b[31m", "x" * 10_000, "1" * 10_000, "1 " * 5_000,
    "ℌ𝔢𝔩𝔩𝔬", "\u202eevil", "؟؟؟", "$$$$", "[card number removed]",
])
def test_garbage_gets_a_parse_not_an_error(interpreter, text):
    parse = interpreter.parse(text, today=TODAY)
    assert parse["intent"]["name"] in interpreter.intents
    assert 0.0 <= parse["intent"]["confidence"] <= 1.0
    for entity in parse["entities"]:
        assert 0 <= entity["start"] < entity["end"] <= len(parse["text"])


@pytest.mark.parametrize("text", ["", "   ", "😀😀😀", "ℌ𝔢𝔩𝔩𝔬"])
def test_nothing_recognizable_is_out_of_scope(interpreter, text):
    assert interpreter.parse(text)["intent"] == {"name": "out_of_scope", "confidence": 1.0}


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=200))
def test_any_text_parses_with_offsets_into_the_returned_text(interpreter, text):
    parse = interpreter.parse(text, today=TODAY)
    assert len(parse["intent_ranking"]) >= 1
    for entity in parse["entities"]:
        assert parse["text"][entity["start"]:entity["end"]].strip()


def test_a_card_number_is_redacted_from_the_parse(interpreter):
    parse = interpreter.parse("pay $80 with 4242 4242 4242 4242 on friday", today=TODAY)
    assert parse["text"] == "pay $80 with [card number removed] on friday"
    assert [(e["entity"], e["value"]) for e in parse["entities"]] == [
        ("amount", 8000), ("date", "2026-11-20")
    ]
    assert parse["text"][parse["entities"][1]["start"]:parse["entities"][1]["end"]] == "friday"


@pytest.mark.parametrize(("text", "intent"), [
    ("hey so i got a letter in the mail and honestly im confused, my husband usually handles "
     "all of this but hes away for work this month. so how much do i owe", "check_balance"),
    ("how much i owe? thanks", "check_balance"),
    ("where is my payment?? thanks", "payment_missing"),
    ("looks good thanks", "affirm"),
    ("nope! thanks", "deny"),
    ("thank you so so much", "thank"),  # a lone word cut out of it is no request
    ("thanks!!", "thank"),
])
def test_a_message_is_read_by_its_main_request(interpreter, text, intent):
    assert interpreter.parse(text)["intent"]["name"] == intent


def test_a_message_naming_a_question_is_never_too_unsure_to_answer(interpreter):
    parse = interpreter.parse("is dental a separate bill")

    assert [e["value"] for e in parse["entities"] if e["entity"] == "faq_topic"] == [
        "separate_bills"]
    assert interpreter.suggestions(parse) is None
