"""Issue 14: a Spanish-speaking member does every flow an English-speaking one can, end to end,
through the REST channel and through the Telegram channel, and is never shown an English
sentence (text or button)."""

from __future__ import annotations

import pytest

from tests.e2e.spanish.conftest import RestConversation, TelegramConversation
from tests.e2e.spanish.english_leaks import english_in
from tests.e2e.spanish.flows import FLOWS
from tests.e2e.telegram.conftest import CHAT

# Flows that still show English, with the texts and the files that say them: texts other
# helpers' branches are moving into data/languages/es (issue 14). Only the English is expected:
# a flow that misses its goal fails, and one that shows no English any more fails too, so
# that it is taken off this list (a strict xfail for the leak alone).
_FLOW_LEAKS: dict[str, str] = {}  # flow name -> the English it shows and the file saying it
LEAKS: dict[tuple[str, str], str] = {(channel, flow): reason for flow, reason in _FLOW_LEAKS.items()
                                     for channel in ("rest", "telegram")}
# Flows that do not reach their goal in Spanish yet (not only English shown): strict xfail.
UNREACHED: dict[str, str] = {}  # flow name -> why it misses its goal, and where


def flows() -> list:
    return [pytest.param(name, flow, id=name,
                         marks=[pytest.mark.xfail(strict=True, reason=UNREACHED[name])]
                         if name in UNREACHED else [])
            for name, flow in FLOWS.items()]


def check_no_english(chat, name: str) -> None:
    """No English shown; a flow whose English is known (LEAKS) is an expected failure while it
    still shows some, and a failure once it shows none, so that it is taken off the list."""
    leaks = english_in(chat.shown())
    known = LEAKS.get((chat.channel, name))
    if known is None:
        assert not leaks, "English in the replies to a Spanish-speaking member:\n  " + \
            "\n  ".join(leaks)
    elif leaks:
        pytest.xfail(f"{known} — first seen: {leaks[:3]}")
    else:
        pytest.fail(f"{name!r} over {chat.channel} shows no English any more: take it off LEAKS")


@pytest.mark.parametrize(("name", "flow"), flows())
async def test_every_flow_in_spanish_through_rest(name, flow, rest_chat, app_runtime):
    chat = RestConversation(rest_chat, app_runtime)
    await flow(chat)  # its goal is reached: a failure here is never expected
    check_no_english(chat, name)


@pytest.mark.parametrize(("name", "flow"), flows())
async def test_every_flow_in_spanish_through_telegram(name, flow, telegram):
    chat = TelegramConversation(telegram, CHAT)
    await flow(chat)
    check_no_english(chat, name)
