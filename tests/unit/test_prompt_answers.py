"""Reading a message at a form's prompt (dialogs/engine/prompt_answers.py), with the rules in
data/prompt_answers.yml and the domain in data/."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rasa_sdk.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered

from dialogs.engine.domain import DATA_DIR, Domain
from dialogs.engine.prompt_answers import PromptReader, PromptRules
from dialogs.engine.tracker import Tracker

DOMAIN = Domain.load()
RULES = PromptRules.load(DATA_DIR / "prompt_answers.yml")
MENU = [button for variation in DOMAIN.responses["utter_help_menu"]
        for button in variation.get("buttons") or ()]
READER = PromptReader(RULES, DOMAIN.intents, DOMAIN.sensitive_slots, menu=MENU)
CANCEL_WORDS = RULES.escape_words["cancel"]


def at_prompt(form: str | None, slot: str | None, buttons=()) -> Tracker:
    tracker = Tracker("t", DOMAIN)
    tracker.update(UserUttered("hi", {"intent": {"name": "greet"}, "entities": []}))
    if form:
        tracker.update(ActiveLoop(form))
        tracker.update(SlotSet("requested_slot", slot))
    tracker.update(BotUttered("a question", data={"buttons": list(buttons)}))
    tracker.update(ActionExecuted("action_listen"))
    return tracker


def intent(parse: dict | None) -> str | None:
    return None if parse is None else parse["intent"]["name"]


@given(st.text(min_size=1, max_size=40))
def test_at_a_secret_prompt_everything_but_a_cancel_is_the_answer(text):
    parse = READER.read(at_prompt("create_account_form", "security_answer_1"), text)
    words = re.findall(r"[\w']+", text.lower())  # case and punctuation aside
    cancels = " ".join(words) in CANCEL_WORDS or (
        any(word in CANCEL_WORDS for word in words) and len(words) <= 6
        and all(word in CANCEL_WORDS | RULES.escape_fillers for word in words))
    if cancels:
        assert intent(parse) == "cancel"
    elif RULES.not_a_secret(text):  # a question or a command: answered, then asked again
        assert parse is None
    else:
        assert intent(parse) == "inform" and parse["text"] == text


@pytest.mark.parametrize("text", ["cancel that please", "pls cancel", "ok stop",
                                  "cancel the whole thing", "never mind, thanks"])
def test_a_cancel_said_with_fillers_cancels_at_a_secret_prompt_too(text):
    parse = READER.read(at_prompt("login_form", "password"), text)
    assert intent(parse) == "cancel"


@pytest.mark.parametrize("text,expected", [
    ("i forgot it", "forgot_password"), ("forgot password ugh", "forgot_password"),
    ("i don't remember it", "forgot_password"), ("Premium-Demo-2026", "inform"),
    ("correct horse battery staple", "inform")])
def test_a_forgotten_password_said_at_the_password_prompt_asks_for_the_reset(text, expected):
    assert intent(READER.read(at_prompt("login_form", "password"), text)) == expected
    assert intent(READER.read(at_prompt("create_account_form", "new_password"), text)) \
        == "inform", "only where the password is asked for, not where one is chosen"


@pytest.mark.parametrize("slot,typed,answer", [
    ("username", "my username is alex", "alex"), ("username", "its alex", "alex"),
    ("username", "Username: alex", "alex"), ("username", "alex", "alex"),
    ("full_name", "my name is Jordan Lee", "Jordan Lee"), ("full_name", "Jordan Lee",
                                                           "Jordan Lee"),
    ("ssn", "my social is 555-12-3456", "555-12-3456"), ("username", "its", "its")])
def test_what_members_put_before_an_answer_is_left_out(slot, typed, answer):
    assert RULES.answer_part(slot, typed) == answer
    assert RULES.fits(slot, typed) is (slot != "ssn" and answer != "its")


@pytest.mark.parametrize("text", ["Biscuit", "stop sign", "cancel my dog", "log in", "help",
                                  "Elm Street", "no", "please", "what?"])
def test_secret_answers_that_look_like_commands_are_answers(text):
    parse = READER.read(at_prompt("create_account_form", "security_answer_1"), text)
    assert intent(parse) == "inform"


@pytest.mark.parametrize("text", ["cancel", "Cancel", "STOP", "cancel.", " never mind ",
                                  "cancelar"])
def test_exact_cancel_words_cancel_at_every_step_of_every_form(text):
    for form, slots in DOMAIN.forms.items():
        for slot in slots:
            assert intent(READER.read(at_prompt(form, slot), text)) == "cancel", (form, slot)


@pytest.mark.parametrize("text,fits", [
    ("alex", True), ("jordan.lee", True), ("j_lee-2", True),
    ("whats my balance", False), ("log in", False), ("login", False), ("hi", False),
    ("my name is alex", False), ("whats", False), ("no", False), ("why?", False),
    ("bye", False), ("2fast", False), ("x" * 33, False)])
def test_a_username_is_one_token_of_a_usernames_characters(text, fits):
    assert RULES.fits("username", text) is fits


@given(st.integers(min_value=0, max_value=10**7), st.sampled_from(["", "$", "USD "]),
       st.sampled_from(["", ".5", ".50"]))
def test_every_amount_services_money_reads_fits_the_amount_shape(whole, prefix, cents):
    assert RULES.fits("payment_amount", f"{prefix}{whole:,}{cents}")
    assert RULES.fits("payment_amount", f"{prefix}{whole}{cents}")


@pytest.mark.parametrize("text", ["nah cancel that", "how much do I owe?", "lots",
                                  "a hundred"])
def test_words_are_not_an_amount_shape(text):
    assert not RULES.fits("payment_amount", text)


def test_a_typed_button_title_is_that_button_typos_too():
    tracker = at_prompt(None, None, [
        {"title": "Questions about premiums", "payload": '/help{"faq_topic": "questions"}'},
        {"title": "Make a payment", "payload": "/make_payment"}])

    for typed in ("questions about premiums", "Questoins about premiums",
                  "premiums questions about"):
        parse = READER.read(tracker, typed)
        assert intent(parse) == "help", typed
        assert parse["entities"][0]["value"] == "questions"
    assert READER.read(tracker, "make a paymnt")["intent"]["name"] == "make_payment"
    assert READER.read(tracker, "tell me about premiums") is None


def test_a_short_text_chooses_a_button_only_when_it_is_its_title():
    tracker = at_prompt(None, None, [{"title": "Yes", "payload": "/affirm"},
                                     {"title": "No", "payload": "/deny"}])
    assert intent(READER.read(tracker, "yes")) == "affirm"
    assert READER.read(tracker, "yea") is None


def test_a_cancel_word_inside_an_answer_at_a_prompt_cancels():
    tracker = at_prompt("payment_form", "payment_amount")
    nlu = {"text": "nah cancel that", "intent": {"name": "deny", "confidence": 0.99},
           "entities": []}
    assert intent(READER.reconsider(tracker, "nah cancel that", nlu)) == "cancel"
    asked = {**nlu, "intent": {"name": "cancel_autopay", "confidence": 0.99}}
    assert intent(READER.reconsider(tracker, "cancel autopay", asked)) == "cancel_autopay"
    assert intent(READER.reconsider(at_prompt(None, None), "nah cancel that", nlu)) == "deny"


@pytest.mark.parametrize("text,nlu_intent,entities,takes", [
    ("the visa", "inform", [], True),
    ("can I pay by card?", "inform", [], False),
    ("how do I pay by mail", "make_payment", [{"entity": "faq_topic"}], False),
    ("what about mail", "inform", [{"entity": "faq_topic"}], False),
    ("whats my balance", "check_balance", [], False),
    ("120", "inform", [], True)])
def test_free_text_fills_a_shaped_answer_only_when_read_as_an_answer(text, nlu_intent,
                                                                     entities, takes):
    message = {"text": text, "intent": {"name": nlu_intent}, "entities": entities}
    assert RULES.takes_text("payment_method", message) is takes


def test_a_help_menu_item_can_be_typed_by_title_when_the_menu_is_not_on_screen():
    for form, slot in ((None, None), ("payment_form", "payment_method")):
        parse = READER.read(at_prompt(form, slot), "Questions about premiums")
        assert intent(parse) == "help" and parse["entities"][0]["value"] == "questions"
    assert intent(READER.read(at_prompt(None, None), "talk to a persn")) == "talk_to_human"
    secret = READER.read(at_prompt("login_form", "password"), "Questions about premiums")
    assert intent(secret) == "inform", "never at a secret prompt"


def test_a_word_yaml_reads_as_something_else_is_refused(tmp_path):
    path = tmp_path / "prompt_answers.yml"
    path.write_text("not_answers: [login, no]\n")

    with pytest.raises(ValueError, match="False is not text; quote it"):
        PromptRules.load(path)


@pytest.mark.parametrize("text,answer", [
    ("when are premiums due?", False), ("how do i reset it", False), ("/start", False),
    ("Premium-Demo-2026", True), ("what?", True), ("correct horse battery staple", True),
    ("Is it me?", False), ("Me?", True)])
def test_at_a_secret_prompt_a_question_of_a_few_words_or_a_command_is_not_the_secret(
        text, answer):
    parse = READER.read(at_prompt("login_form", "password"), text)
    assert (intent(parse) == "inform") is answer
    nlu = {"text": text, "intent": {"name": "inform"}, "entities": []}
    assert RULES.takes_text("password", nlu, secret=True) is answer
