"""Sessions: a conversation idle longer than the domain's session_expiration_time starts
afresh, carrying over slots but not a form's half-given answers."""

from __future__ import annotations

import pytest
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet

from tests.engine_fakes import build_engine, texts, tracker_store


@pytest.fixture
def store(sqlite_engine):
    return tracker_store(sqlite_engine)


@pytest.fixture
def engine(sqlite_engine, clock, services, store):
    return build_engine(sqlite_engine, clock=clock, store=store)


async def speak_spanish(store, clock):
    """As a channel that knows the member's language would leave it in the tracker."""
    async with store.conversation("telegram", "5") as conversation:
        conversation.append([SessionStarted(), SlotSet("language", "es"),
                             ActionExecuted("action_listen")], at=clock.now())


async def test_the_language_carries_over_into_a_new_session(engine, store, clock):
    await speak_spanish(store, clock)
    assert texts(await engine.handle_message("telegram", "5", "hola"))[0].startswith("¡Hola!")

    clock.advance(minutes=61)
    result = await engine.handle_message("telegram", "5", "hola")

    assert texts(result)[0].startswith("¡Hola!")
    assert result.messages[1].text == "Esto es lo que puedo hacer:"
    sessions = [e for e in store.session_events("telegram", "5", all_sessions=True)
                if e["event"] == "session_started"]
    assert len(sessions) == 2
    assert store.session_events("telegram", "5")[0]["event"] == "session_started"


async def test_a_form_survives_a_pause_shorter_than_the_session(engine, clock):
    await engine.handle_message("telegram", "5", "remind me")
    await engine.handle_message("telegram", "5", "yes")

    clock.advance(minutes=59)
    result = await engine.handle_message("telegram", "5", "3 and 1")

    assert texts(result)[0].startswith("When should I stay quiet?")


async def test_a_form_does_not_survive_an_expired_session(engine, clock):
    await engine.handle_message("telegram", "5", "remind me")
    await engine.handle_message("telegram", "5", "yes")

    clock.advance(minutes=61)
    assert texts(await engine.handle_message("telegram", "5", "3 and 1")) \
        == ["Sorry, I didn't understand that.", "Here's what I can help with:"]
    # And its answers are gone: starting it again asks everything again.
    assert texts(await engine.handle_message("telegram", "5", "remind me")) \
        == ["Would you like a reminder before each premium is due?"]
