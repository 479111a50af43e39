"""SSNs typed in chat get what a card number gets: never understood, stored or logged, a warning,
the message deleted; at the SSN step of a form an SSN is the answer, hidden as such."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import select

from dialogs.engine.transcripts import stored_transcript
from services.persistence.models import ConversationEvent
from tests.engine_fakes import KeywordInterpreter, build_engine, texts, tracker_store

SSN_WARNING = ("Please never send your Social Security number in chat: I've asked for that "
               "message to be deleted and did not keep it. I only ask for it while you open an "
               "account, and I delete your answer straight away.")


@pytest.fixture
def interpreter():
    return KeywordInterpreter()


@pytest.fixture
def engine(sqlite_engine, clock, services, interpreter):
    return build_engine(sqlite_engine, clock=clock, interpreter=interpreter)


def stored(sqlite_engine) -> str:
    with sqlite_engine.connect() as conn:
        return json.dumps(list(conn.scalars(select(ConversationEvent.data))))


@pytest.mark.parametrize("typed", ["my social is 555 12 3456", "ssn 555123456",
                                   "hi, 555-12-3456 is my number"])
async def test_an_ssn_in_chat_is_warned_about_deleted_and_never_kept(
        engine, interpreter, sqlite_engine, caplog, typed):
    with caplog.at_level(logging.DEBUG):
        result = await engine.handle_message("telegram", "7", typed)

    assert texts(result) == [SSN_WARNING]
    assert result.delete_user_message and result.sensitive
    assert interpreter.parsed == []
    assert "3456" not in stored(sqlite_engine) and "[ssn removed]" in stored(sqlite_engine)
    assert "3456" not in caplog.text


async def test_an_ssn_and_a_card_number_get_both_warnings(engine):
    result = await engine.handle_message("telegram", "7",
                                         "ssn 555-12-3456 card 4242_4242_4242_4242")

    assert [text.split(":")[0] for text in texts(result)] == [
        "Please never send a card number in chat",
        "Please never send your Social Security number in chat"]


async def test_an_ssn_typed_in_a_name_field_is_refused_and_the_question_asked_again(engine):
    await engine.handle_message("rest", "7", "/create_account")

    result = await engine.handle_message("rest", "7", "555-12-3456")

    assert texts(result) == [SSN_WARNING, "What's your full name, as on your application?"]
    assert result.delete_user_message


async def test_at_the_ssn_step_an_ssn_is_the_answer_not_a_mistake(engine, sqlite_engine):
    for answer in ("/create_account", "Jordan Lee", "04/12/1990"):
        await engine.handle_message("rest", "7", answer)

    result = await engine.handle_message("rest", "7", "555-12-3456")

    assert SSN_WARNING not in texts(result)
    assert result.delete_user_message
    assert "3456" not in stored(sqlite_engine)


async def test_amounts_and_phone_numbers_are_kept_as_typed(engine, sqlite_engine):
    result = await engine.handle_message("rest", "7", "call me on 617-555-0123 about $120.50")

    assert not result.delete_user_message
    assert "617-555-0123 about $120.50" in stored(sqlite_engine)


async def test_a_support_transcript_shows_no_card_number_or_ssn_stored_by_an_older_release(
        sqlite_engine, services):
    # Stored as they were before the detector knew these formats.
    store = tracker_store(sqlite_engine)
    older = ["card 4242  4242/4242_4242 exp 12/30", "my social is 555 12 3456", "hi there"]
    async with store.conversation("rest", "7") as conversation:
        conversation.append([{"event": "user", "text": text} for text in older],
                            at=services.now())

    lines = stored_transcript(services, "rest", "7")

    assert lines == ["member: card [card number removed]", "member: my social is [ssn removed]",
                     "member: hi there"]
