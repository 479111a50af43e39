"""Opaque button keys: what a tap on each kind of key does, on SQLite and PostgreSQL."""

from __future__ import annotations

from functools import partial

import pytest
from sqlalchemy import func, select

from bot.telegram.callback_keys import (
    Outcome,
    choose,
    open_keyboards,
    retire_open_keyboards,
)
from services.adapters.clocks import FixedClock
from services.persistence.models import TelegramKeyboard
from tests.concurrency import run_together
from tests.conftest import DEFAULT_NOW, build_services
from tests.fakes import FakeGateway

CHAT, OTHER = "5550001", "5550002"
BUTTONS = [{"title": "Confirm", "payload": '/affirm{"confirm_payment": "7"}'},
           {"title": "Cancel", "payload": "/cancel"}]


@pytest.fixture
def svc(engine, policy, secrets):
    return build_services(engine, gateway=FakeGateway(), clock=FixedClock(DEFAULT_NOW),
                          policy=policy, secrets=secrets)


def keyboard(svc, chat=CHAT) -> list[str]:
    [keys] = open_keyboards(svc, chat, [("Pay $10?", BUTTONS)])
    return keys


def test_keys_are_short_opaque_and_unique(svc):
    keys = keyboard(svc) + keyboard(svc)
    assert len(set(keys)) == 4
    assert all(len(key.encode()) <= 64 and "affirm" not in key for key in keys)


def test_a_tap_gives_the_payload_once(svc):
    confirm, _ = keyboard(svc)
    tap = choose(svc, confirm, chat_id=CHAT)
    assert (tap.outcome, tap.title, tap.payload) == (Outcome.CHOSEN, "Confirm",
                                                     BUTTONS[0]["payload"])
    assert tap.text_html == "Pay $10?"
    again = choose(svc, confirm, chat_id=CHAT)
    assert (again.outcome, again.title, again.payload) == (Outcome.ALREADY_CHOSEN, "Confirm", None)


def test_after_one_choice_the_other_buttons_are_chosen_too(svc):
    confirm, cancel = keyboard(svc)
    choose(svc, confirm, chat_id=CHAT)
    tap = choose(svc, cancel, chat_id=CHAT)
    assert (tap.outcome, tap.title) == (Outcome.ALREADY_CHOSEN, "Confirm")


def test_two_taps_at_once_choose_once(svc):
    for _ in range(5):
        taps = run_together(*(partial(choose, svc, key, chat_id=CHAT) for key in keyboard(svc)))
        assert sorted(tap.outcome.value for tap in taps) == ["already_chosen", "chosen"]
        assert taps[0].title == taps[1].title  # both name the button that won


def test_a_newer_message_makes_older_buttons_stale(svc):
    confirm, _ = keyboard(svc)
    open_keyboards(svc, CHAT, [])
    assert choose(svc, confirm, chat_id=CHAT).outcome is Outcome.STALE


def test_the_keyboards_of_one_batch_all_work(svc):
    first, second = open_keyboards(svc, CHAT, [("Balance", BUTTONS), ("Anything else?", BUTTONS)])
    assert choose(svc, first[1], chat_id=CHAT).outcome is Outcome.CHOSEN
    assert choose(svc, second[0], chat_id=CHAT).outcome is Outcome.CHOSEN


def test_another_chats_newer_message_changes_nothing(svc):
    confirm, _ = keyboard(svc)
    open_keyboards(svc, OTHER, [])
    assert choose(svc, confirm, chat_id=CHAT).outcome is Outcome.CHOSEN


def test_a_restart_makes_every_earlier_button_stale(svc):
    first, second = keyboard(svc), keyboard(svc, OTHER)
    assert retire_open_keyboards(svc) == 2
    assert choose(svc, first[0], chat_id=CHAT).outcome is Outcome.STALE
    assert choose(svc, second[1], chat_id=OTHER).outcome is Outcome.STALE


def test_a_key_from_another_chat_is_foreign(svc):
    confirm, _ = keyboard(svc)
    assert choose(svc, confirm, chat_id=OTHER).outcome is Outcome.FOREIGN
    assert choose(svc, confirm, chat_id=CHAT).outcome is Outcome.CHOSEN


def test_a_made_up_key_is_unknown(svc):
    keyboard(svc)
    assert choose(svc, "not-a-key", chat_id=CHAT).outcome is Outcome.UNKNOWN


def test_a_key_with_another_verifier_or_button_is_unknown(svc):
    confirm, _ = keyboard(svc)
    selector, verifier, _ = confirm.split(".")
    guessed = "A" * len(verifier)
    assert choose(svc, f"{selector}.{guessed}.0", chat_id=CHAT).outcome is Outcome.UNKNOWN
    assert choose(svc, f"{selector}.{verifier}.2", chat_id=CHAT).outcome is Outcome.UNKNOWN
    assert choose(svc, confirm, chat_id=CHAT).outcome is Outcome.CHOSEN


def test_old_keyboards_are_deleted_at_start_up(svc):
    keyboard(svc)
    svc.clock = FixedClock(DEFAULT_NOW.replace(month=DEFAULT_NOW.month + 1))
    retire_open_keyboards(svc)
    with svc.uow() as uow:
        assert uow.session.scalar(select(func.count(TelegramKeyboard.selector))) == 0
