"""A form's secret answers last from one turn to the next, sealed in the tracker store: never
stored in clear, and unreadable once the seal is too old (the form then asks again)."""

from __future__ import annotations

import json
import random

import pytest
import yaml
from sqlalchemy import select

from dialogs.engine import Domain, Engine, InProcessActionRunner, load_rules
from dialogs.engine.domain import DATA_DIR
from dialogs.engine.sealing import SlotSealer
from services.persistence.models import ConversationEvent
from tests.engine_fakes import KeywordInterpreter, texts, tracker_store

RULES = """
rules:
  - rule: Start the secret form
    steps:
      - intent: log_in
      - action: secret_form
      - active_loop: secret_form
"""


def _secret_slot(name: str) -> dict:
    return {"type": "text", "influence_conversation": False,
            "mappings": [{"type": "from_text", "not_intent": ["cancel"],
                          "conditions": [{"active_loop": "secret_form",
                                          "requested_slot": name}]}]}


@pytest.fixture
def sealer(clock):
    return SlotSealer(b"test-session-key", now=clock.now, ttl_seconds=30 * 60)


@pytest.fixture
def engine(sqlite_engine, clock, sealer, tmp_path):
    raw = yaml.safe_load((DATA_DIR / "domain.yml").read_text())
    raw["slots"]["first_secret"] = _secret_slot("first_secret")
    raw["slots"]["second_secret"] = _secret_slot("second_secret")
    raw["forms"]["secret_form"] = {"required_slots": ["first_secret", "second_secret"]}
    raw["responses"]["utter_ask_first_secret"] = [{"text": "First secret?"}]
    raw["responses"]["utter_ask_second_secret"] = [{"text": "Second secret?"}]
    rules_file = tmp_path / "rules.yml"
    rules_file.write_text(RULES)
    return Engine(
        Domain.from_dict(raw, sensitive_slots=["first_secret", "second_secret"]),
        load_rules(rules_file),
        KeywordInterpreter(), tracker_store(sqlite_engine), InProcessActionRunner(),
        clock=clock, today=lambda: clock.now().date(), rng=random.Random(7), sealer=sealer)


def stored(sqlite_engine) -> str:
    with sqlite_engine.connect() as conn:
        return json.dumps(list(conn.scalars(select(ConversationEvent.data))))


def slot_values(engine, sealer, name: str) -> list:
    events = sealer.unseal_events(engine._store.session_events("telegram", "7"))
    return [e["value"] for e in events if e["event"] == "slot" and e["name"] == name]


async def test_a_secret_answer_is_stored_sealed_and_read_back_next_turn(engine, sealer,
                                                                       sqlite_engine):
    await engine.handle_message("telegram", "7", "log in")

    result = await engine.handle_message("telegram", "7", "alpha 111")

    assert result.delete_user_message
    assert texts(result) == ["Second secret?"]
    assert "alpha 111" not in stored(sqlite_engine)
    # The answer as the turn left it is sealed; an earlier step of the same turn is a marker.
    assert slot_values(engine, sealer, "first_secret")[-1] == "alpha 111"
    assert set(slot_values(engine, sealer, "first_secret")) <= {"alpha 111", "[redacted]"}


async def test_a_seal_too_old_reads_as_empty_and_the_form_asks_again(engine, clock):
    await engine.handle_message("telegram", "7", "log in")
    await engine.handle_message("telegram", "7", "alpha 111")

    clock.advance(minutes=31)
    result = await engine.handle_message("telegram", "7", "beta 222")

    assert texts(result) == ["First secret?"]


def test_a_seal_made_with_another_key_does_not_open(clock, sealer):
    other = SlotSealer(b"another-key", now=clock.now)

    assert sealer.unseal(sealer.seal({"ssn": "123"})) == {"ssn": "123"}
    assert sealer.unseal(other.seal("123")) is None
    assert sealer.unseal("not a seal") is None


def test_only_a_secret_still_set_when_the_turn_ends_is_sealed():
    from rasa_sdk.events import AllSlotsReset, SlotSet

    from dialogs.engine.redaction import REDACTED, redact_for_storage
    from dialogs.engine.sealing import SEALED_KEY

    def stored(*events):
        return redact_for_storage(list(events), ["password"], seal=lambda value: "sealed!")

    checked_and_cleared = stored(SlotSet("password", "hunter22"), SlotSet("password", None))
    assert checked_and_cleared[0] == {**SlotSet("password", REDACTED)}
    still_needed = stored(SlotSet("password", "hunter22"), SlotSet("other", 1))
    assert still_needed[0][SEALED_KEY] == "sealed!" and still_needed[0]["value"] == REDACTED
    assert SEALED_KEY not in stored(SlotSet("password", "hunter22"), AllSlotsReset())[0]
