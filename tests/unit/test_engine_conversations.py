"""Whole conversations through the engine: the proving flows of data/ (greet, help, fallback,
cancel, the reminder settings form with validation and a question asked inside it), with the
keyword interpreter, in-process rasa-sdk actions and SQLite."""

from __future__ import annotations

import logging

import pytest

from dialogs.actions import runtime
from dialogs.engine import HttpActionRunner
from dialogs.engine import build_engine as build_dialogue_engine
from services.sessions import link_chat
from tests.conftest import build_services
from tests.engine_fakes import KeywordInterpreter, build_engine, texts
from tests.factories import make_member, use_fast_password_hashing
from tests.fakes import FakeGateway

HELP_MENU_PAYLOADS = ["/check_balance", "/make_payment", "/setup_autopay",
                      "/manage_payment_methods", "/payment_declined", "/payment_missing",
                      "/reminder_settings", "/talk_to_human", '/help{"faq_topic": "questions"}',
                      "/log_in", "/create_account", "language"]
ASK_ENABLED = "Would you like a reminder before each premium is due?"
ASK_DAYS = "How many days before the due date should I remind you?"
ASK_QUIET = "When should I stay quiet?"


@pytest.fixture
def logged_in(services, monkeypatch):
    """The chat `say` talks in is logged in: reminder settings are saved on the account."""
    use_fast_password_hashing(monkeypatch)
    member = make_member(services)
    link_chat(services, channel="console", chat_id="42", account_id=member.id)
    return member


@pytest.fixture
def interpreter():
    return KeywordInterpreter()


@pytest.fixture
def engine(sqlite_engine, clock, services, interpreter):
    return build_engine(sqlite_engine, clock=clock, interpreter=interpreter)


async def say(engine, text, sender="42", channel="console"):
    return await engine.handle_message(channel, sender, text)


async def test_greeting_shows_the_help_menu(engine):
    result = await say(engine, "hi")

    assert len(result.messages) == 2
    assert "HealthPay" in result.messages[0].text
    menu = result.messages[1]
    assert menu.text == "Here's what I can help with:"
    assert [b["payload"] for b in menu.buttons] == HELP_MENU_PAYLOADS
    assert menu.buttons[0]["title"] == "What do I owe"
    assert not result.delete_user_message


async def test_help_shows_the_menu(engine):
    result = await say(engine, "help")

    assert [len(m.buttons) for m in result.messages] == [len(HELP_MENU_PAYLOADS)]


async def test_unsure_offers_the_likeliest_meanings_as_buttons(engine):
    result = await say(engine, "hmm what about that thing")

    (message,) = result.messages
    assert message.text.startswith("Sorry, I'm not sure I understood. Did you mean")
    # inform has no label (utter_intent_inform), so it is not offered; "help" always is.
    assert message.buttons == [
        {"title": "Make a payment", "payload": "/make_payment"},
        {"title": "What do I owe", "payload": "/check_balance"},
        {"title": "Something else", "payload": "/help"},
    ]


async def test_tapping_a_suggestion_skips_the_nlu(engine, interpreter):
    await say(engine, "hmm what about that thing")
    result = await say(engine, "/help")

    assert interpreter.parsed == ["hmm what about that thing"]
    assert [b["payload"] for b in result.messages[0].buttons] == HELP_MENU_PAYLOADS


async def test_a_message_no_rule_handles_gets_an_apology_and_the_menu(engine):
    result = await say(engine, "/deny")

    assert texts(result)[0] == "Sorry, I didn't understand that."
    assert [b["payload"] for b in result.messages[1].buttons] == HELP_MENU_PAYLOADS


async def test_reminder_settings_happy_path(engine, logged_in):
    assert texts(await say(engine, "set up reminders")) == [
        "Right now I remind you 7, 3 and 1 days before each due date and on each due date, "
        "never between 9pm and 8am.", ASK_ENABLED]
    assert texts(await say(engine, "yes"))[0].startswith(ASK_DAYS)
    assert texts(await say(engine, "7, 3 and 1"))[0].startswith(ASK_QUIET)

    result = await say(engine, "9pm to 8am")

    assert texts(result) == ["Saved: a reminder 7, 3 and 1 days before each due date, and none "
                             "between 9pm and 8am."]


async def test_the_form_asks_again_next_time(engine, logged_in):
    for text in ("remind me", "yes", "3 and 1", "10pm to 7am"):
        await say(engine, text)

    assert texts(await say(engine, "remind me"))[-1] == ASK_ENABLED
    assert texts(await say(engine, "yes"))[0].startswith(ASK_DAYS)


async def test_buttons_answer_the_form(engine, interpreter):
    ask_enabled = (await say(engine, "remind me")).messages[0]
    yes = ask_enabled.buttons[0]["payload"]

    result = await say(engine, yes)

    assert yes == "/affirm"
    assert interpreter.parsed == ["remind me"]
    assert texts(result)[0].startswith(ASK_DAYS)


async def test_no_reminders_ends_the_form_at_once(engine, logged_in):
    await say(engine, "remind me")

    result = await say(engine, "no")

    assert texts(result) == ["OK, no reminders before due dates. Ask me about *reminders* any "
                             "time to turn them on."]


async def test_days_that_cannot_be_read_are_explained_and_asked_again(engine):
    await say(engine, "remind me")
    await say(engine, "yes")

    result = await say(engine, "whenever works")

    assert texts(result)[0].startswith("I couldn't read those days.")
    assert texts(result)[1].startswith(ASK_DAYS)


async def test_invalid_days_are_explained_and_asked_again(engine):
    await say(engine, "remind me")
    await say(engine, "yes")

    result = await say(engine, "45, 3")

    assert texts(result)[0] == ("I can't remind you 45 days before: each reminder has to be 0 "
                                "to 30 days before the due date (0 is the due date itself).")
    assert texts(result)[1].startswith(ASK_DAYS)
    assert texts(await say(engine, "3"))[0].startswith(ASK_QUIET)


async def test_invalid_quiet_hours_are_explained_and_asked_again(engine):
    for text in ("remind me", "yes", "1"):
        await say(engine, text)

    result = await say(engine, "9pm to 9pm")

    assert texts(result)[0] == ("Quiet hours need a different start and end time, like \"9pm to "
                                "8am\".")
    assert texts(result)[1].startswith(ASK_QUIET)


async def test_a_question_inside_the_form_is_answered_and_the_form_goes_on(engine):
    await say(engine, "remind me")
    await say(engine, "yes")

    result = await say(engine, "when are premiums due?")

    # The clock says 2026-11-17: December's premium is due on November 23.
    assert texts(result)[0] == ("Premiums are due on the 23rd of the month before the month they "
                                "cover. The next due date is November 23, for December 2026 "
                                "coverage.")
    assert texts(result)[1].startswith(ASK_DAYS)
    assert texts(await say(engine, "7"))[0].startswith(ASK_QUIET)


async def test_days_given_up_front_are_not_asked_again(engine, logged_in):
    await say(engine, "remind me 3 days before")

    assert texts(await say(engine, "yes"))[0].startswith(ASK_QUIET)
    assert "a reminder 3 days before each due date" in texts(await say(engine, "9pm to 8am"))[0]


async def test_cancel_leaves_the_form(engine):
    await say(engine, "remind me")
    await say(engine, "yes")

    result = await say(engine, "cancel")

    assert texts(result)[0] == "OK, I've stopped that. What else can I help with?"
    assert result.messages[-1].buttons, "the help menu says what the member can do next"
    # The form is gone: a number is no longer an answer to it.
    after = await say(engine, "7, 3 and 1")
    assert texts(after)[0] == "Sorry, I didn't understand that."


async def test_cancel_with_nothing_going_on(engine):
    result = await say(engine, "cancel")

    assert texts(result)[0] == "There's nothing to cancel right now."
    assert result.messages[-1].buttons, "the help menu says what the member can do next"


async def test_help_inside_the_form_keeps_the_form(engine):
    await say(engine, "remind me")
    await say(engine, "yes")

    assert [b["payload"] for b in (await say(engine, "help")).messages[0].buttons] \
        == HELP_MENU_PAYLOADS
    assert texts(await say(engine, "3"))[0].startswith(ASK_QUIET)


async def test_payload_entities_reach_the_tracker_without_the_nlu(engine, interpreter):
    await say(engine, '/inform{"amount": "12.50", "date": ["2026-12-01", "2026-12-23"]}')

    (user,) = [e for e in engine_events(engine) if e["event"] == "user"]
    assert interpreter.parsed == []
    assert user["parse_data"]["intent"] == {"name": "inform", "confidence": 1.0}
    assert [(e["entity"], e["value"]) for e in user["parse_data"]["entities"]] == [
        ("amount", "12.50"), ("date", "2026-12-01"), ("date", "2026-12-23")]


async def test_a_payload_for_an_unknown_intent_is_ordinary_text(engine, interpreter):
    await say(engine, "/transfer_all_money")

    assert interpreter.parsed == ["/transfer_all_money"]


async def test_conversations_are_kept_per_channel_and_sender(engine):
    await say(engine, "remind me", sender="1", channel="telegram")

    # Same sender id on another channel, and another sender: neither is in the form.
    assert texts(await say(engine, "yes", sender="1", channel="console"))[0].startswith("Sorry")
    assert texts(await say(engine, "yes", sender="2", channel="telegram"))[0].startswith("Sorry")
    assert texts(await say(engine, "yes", sender="1", channel="telegram"))[0] \
        .startswith(ASK_DAYS)


async def test_a_failing_action_apologizes_and_the_conversation_goes_on(engine, monkeypatch,
                                                                          caplog):
    executor = engine._dispatcher._runner._executor

    async def broken(dispatcher, tracker, domain):
        raise RuntimeError("database went away")

    monkeypatch.setitem(executor.actions, "action_explain_due_date", broken)
    await say(engine, "remind me")
    await say(engine, "yes")

    with caplog.at_level(logging.ERROR, logger="dialogs.engine"):
        result = await say(engine, "when are premiums due?", sender="42")

    assert texts(result) == ["Sorry, something went wrong on our side. Please try again, or "
                             "type *help*."]
    (record,) = [r for r in caplog.records if r.name == "dialogs.engine.engine"]
    assert "action_explain_due_date" in record.getMessage()
    assert "console:42" in record.getMessage()
    assert record.exc_info is not None
    # Still in the form, still usable.
    assert texts(await say(engine, "3"))[0].startswith(ASK_QUIET)


def engine_events(engine, channel="console", sender="42"):
    return engine._store.session_events(channel, sender)


async def test_build_engine_wires_the_data_the_database_and_the_actions(sqlite_engine, clock,
                                                                          policy, secrets):
    svc = build_services(sqlite_engine, gateway=FakeGateway(), clock=clock, policy=policy,
                         secrets=secrets)
    try:
        engine = build_dialogue_engine(svc, interpreter=KeywordInterpreter())
        await say(engine, "remind me")
        await say(engine, "yes")
        result = await say(engine, "when is it due?")
        remote = build_dialogue_engine(svc, interpreter=KeywordInterpreter(),
                                       action_endpoint_url="http://127.0.0.1:5055/webhook")
    finally:
        runtime.configure(None)

    assert texts(result)[0].endswith("The next due date is November 23, for December 2026 "
                                     "coverage.")
    assert isinstance(remote._dispatcher._runner, HttpActionRunner)
