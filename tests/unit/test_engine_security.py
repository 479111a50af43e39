"""Secrets in chat: card numbers are never understood, stored or logged, and the answer to a
sensitive slot is stored only as "[redacted]"; both times the channel is told to delete the
member's message."""

from __future__ import annotations

import json
import logging

import pytest
import yaml
from sqlalchemy import select

from dialogs.engine import Domain, load_rules
from dialogs.engine.domain import DATA_DIR
from services.persistence.models import ConversationEvent
from tests.engine_fakes import KeywordInterpreter, build_engine, texts

CARD = "4242 4242 4242 4242"
PASSWORD = "Premium-Demo-2026"
WARNING = ("Please never send a card number in chat: I've asked for that message to be deleted "
           "and did not keep it. Cards are added only on a secure page; type *payment methods* "
           "for a link.")

# A password form on top of the real data, with a sensitive `password` slot.
LOGIN_FORM_RULES = """
rules:
  - rule: Log in
    steps:
      - intent: log_in
      - action: password_form
      - active_loop: password_form
  - rule: Logged in
    condition:
      - active_loop: password_form
    steps:
      - action: password_form
      - active_loop: null
      - action: utter_logged_in
"""


@pytest.fixture
def interpreter():
    return KeywordInterpreter()


@pytest.fixture
def engine(sqlite_engine, clock, services, interpreter, tmp_path):
    raw = yaml.safe_load((DATA_DIR / "domain.yml").read_text())
    raw["slots"]["password"] = {
        "type": "text", "influence_conversation": False,
        "mappings": [{"type": "from_text", "not_intent": ["cancel"],
                      "conditions": [{"active_loop": "password_form",
                                      "requested_slot": "password"}]}]}
    raw["forms"]["password_form"] = {"required_slots": ["password"]}
    raw["responses"]["utter_ask_password"] = [{"text": "What's your password?"}]
    # Even a response that names the slot never shows it.
    raw["responses"]["utter_logged_in"] = [{"text": "Logged in with {password}."}]
    rules_file = tmp_path / "rules.yml"
    rules_file.write_text(LOGIN_FORM_RULES)
    return build_engine(sqlite_engine, clock=clock, interpreter=interpreter,
                        domain=Domain.from_dict(raw, sensitive_slots=["password"]),
                        # First, so its "log in" rule wins over the real log-in's.
                        rules=load_rules(rules_file) + load_rules(DATA_DIR / "rules.yml"))


def stored(sqlite_engine) -> str:
    with sqlite_engine.connect() as conn:
        return json.dumps(list(conn.scalars(select(ConversationEvent.data))))


async def test_a_card_number_is_answered_with_a_warning_and_never_understood(
        engine, interpreter, sqlite_engine, caplog):
    with caplog.at_level(logging.DEBUG):
        result = await engine.handle_message("telegram", "7", f"my card is {CARD} exp 12/28")

    assert texts(result) == [WARNING]
    assert result.delete_user_message and result.sensitive
    assert interpreter.parsed == []
    assert "4242" not in stored(sqlite_engine)
    # The expiry typed with the number goes with it.
    assert '"my card is [card number removed]"' in stored(sqlite_engine)
    assert "12/28" not in stored(sqlite_engine)
    assert "4242" not in caplog.text


async def test_a_card_number_inside_a_form_gets_the_question_asked_again(engine):
    await engine.handle_message("telegram", "7", "remind me")

    result = await engine.handle_message("telegram", "7", CARD.replace(" ", ""))

    assert texts(result) == [WARNING, "Would you like a reminder before each premium is due?"]
    assert texts(await engine.handle_message("telegram", "7", "yes"))[0].startswith("How many")


async def test_a_sensitive_answer_is_stored_redacted_and_deleted(engine, sqlite_engine, caplog):
    assert texts(await engine.handle_message("telegram", "7", "log in")) \
        == ["What's your password?"]

    with caplog.at_level(logging.DEBUG):
        result = await engine.handle_message("telegram", "7", PASSWORD)

    assert result.delete_user_message and result.sensitive
    assert texts(result) == ["Logged in with {password}."]
    rows = stored(sqlite_engine)
    assert PASSWORD not in rows
    assert PASSWORD not in caplog.text
    events = engine._store.session_events("telegram", "7")
    (answer,) = [e for e in events if e["event"] == "user" and e["parse_data"]["intent"]
                 ["name"] == "inform"]
    assert answer["text"] == answer["parse_data"]["text"] == "[redacted]"
    assert {"name": "password", "value": "[redacted]"}.items() <= next(
        e for e in events if e["event"] == "slot" and e["name"] == "password").items()


async def test_any_reply_to_a_sensitive_question_is_deleted(engine, sqlite_engine):
    await engine.handle_message("telegram", "7", "log in")

    result = await engine.handle_message("telegram", "7", "cancel")

    assert result.delete_user_message
    assert texts(result)[0] == "OK, I've stopped that. What else can I help with?"


async def test_ordinary_messages_are_kept_as_they_are(engine, sqlite_engine):
    result = await engine.handle_message("telegram", "7", "hi")

    assert not result.delete_user_message and not result.sensitive
    assert '"text": "hi"' in stored(sqlite_engine)
