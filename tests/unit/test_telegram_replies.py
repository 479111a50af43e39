"""What the engine says in one go reaches Telegram as few messages as it can: texts joined up to
and including one with buttons, which stay under the text they belong to."""

from __future__ import annotations

from bot.telegram.replies import join_messages
from dialogs.engine import BotMessage

MENU = [{"title": "Pay", "payload": "/make_payment"}]
YES_NO = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]


def test_texts_before_a_menu_join_it():
    assert join_messages([BotMessage("Hi!"), BotMessage("What next?", MENU)]) == [
        BotMessage("Hi!\n\nWhat next?", MENU)]


def test_buttons_end_a_message_and_what_follows_starts_the_next():
    assert join_messages([BotMessage("Sure?", YES_NO), BotMessage("Or:"),
                          BotMessage("Menu", MENU), BotMessage("Bye")]) == [
        BotMessage("Sure?", YES_NO), BotMessage("Or:\n\nMenu", MENU), BotMessage("Bye")]


def test_buttons_without_text_keep_the_text_before_them():
    assert join_messages([BotMessage("Pick one"), BotMessage(None, MENU)]) == [
        BotMessage("Pick one", MENU)]
    assert join_messages([BotMessage(None, MENU)]) == [BotMessage(None, MENU)]
    assert join_messages([]) == []
