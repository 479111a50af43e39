"""The proving flows through the real NLU (trained from data/nlu.yml), not the keyword fake."""

from __future__ import annotations

import pytest

from dialogs.engine.nlu import NluInterpreter
from services.sessions import link_chat
from tests.engine_fakes import build_engine, texts
from tests.factories import make_member, use_fast_password_hashing


@pytest.fixture(scope="module")
def nlu(tmp_path_factory):
    return NluInterpreter.load(cache_dir=tmp_path_factory.mktemp("nlu-cache"))


@pytest.fixture
def engine(sqlite_engine, clock, services, nlu):
    return build_engine(sqlite_engine, clock=clock, interpreter=nlu)


async def test_reminder_settings_with_a_question_in_the_middle(engine, services, monkeypatch):
    use_fast_password_hashing(monkeypatch)
    member = make_member(services)
    link_chat(services, channel="telegram", chat_id="77", account_id=member.id)

    async def say(text):
        return texts(await engine.handle_message("telegram", "77", text))

    assert (await say("hi"))[1] == "Here's what I can help with:"
    assert (await say("can you set up reminders for me"))[-1] \
        == "Would you like a reminder before each premium is due?"
    assert (await say("yes please"))[0].startswith("How many days before the due date")
    answer = await say("when are premiums due?")
    assert answer[0].startswith("Premiums are due on the 23rd of the month before")
    assert answer[1].startswith("How many days before the due date")
    assert (await say("7, 3 and 1"))[0].startswith("When should I stay quiet?")
    assert await say("9pm to 8am") == ["Saved: a reminder 7, 3 and 1 days before each due "
                                       "date, and none between 9pm and 8am."]


async def test_cancel_in_the_members_words(engine):
    await engine.handle_message("telegram", "78", "remind me before my bill is due")

    result = await engine.handle_message("telegram", "78", "never mind, stop")

    assert texts(result)[0] == "OK, I've stopped that. What else can I help with?"
