"""read_once: a value read once per action call (rasa-sdk asks a form's required slots several
times a call), never carried into the next call or across threads."""

from __future__ import annotations

import asyncio
import threading

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from dialogs.actions import login
from dialogs.actions.per_call import read_once


def _tracker(sender: str = "a", slots: dict | None = None) -> Tracker:
    return Tracker(sender, slots or {}, {"text": "x", "intent": {"name": "inform"},
                                         "entities": []}, [], False, None,
                   {"name": "login_form"}, "action_listen")


def test_one_read_a_call_and_a_fresh_one_the_next_call():
    reads = iter(range(1, 100))
    call = _tracker()
    assert [read_once(call, "member", lambda: next(reads)) for _ in range(3)] == [1, 1, 1]
    assert read_once(call, "bills", lambda: next(reads)) == 2  # another value, its own read
    assert read_once(_tracker(), "member", lambda: next(reads)) == 3  # the next call


def test_another_thread_reads_for_itself():
    call = _tracker()
    assert read_once(call, "member", lambda: "mine") == "mine"
    seen = []
    other = threading.Thread(target=lambda: seen.append(read_once(_tracker("b"), "member",
                                                                   lambda: "theirs")))
    other.start()
    other.join()
    assert seen == ["theirs"]
    assert read_once(call, "member", lambda: "read again") == "mine"


def test_the_log_in_form_reads_the_session_once_a_call(monkeypatch):
    asked = []
    monkeypatch.setattr(login, "acting_member", lambda tracker: asked.append(1))
    form = login.ValidateLoginForm()
    call = _tracker()
    for _ in range(3):  # extraction, validation, next slot
        assert asyncio.run(form.required_slots(["username", "password"], CollectingDispatcher(),
                                               call, {})) == ["username", "password"]
    assert len(asked) == 1


def test_a_log_in_during_the_call_ends_the_form_by_its_outcome(monkeypatch):
    """Read before the log-in (None), but validate_password sets the outcome slot in the same
    call, and that is looked at first."""
    monkeypatch.setattr(login, "acting_member", lambda tracker: None)
    form = login.ValidateLoginForm()
    call = _tracker()
    assert asyncio.run(form.required_slots(["username", "password"], CollectingDispatcher(),
                                           call, {})) == ["username", "password"]
    call.slots[login.OUTCOME_SLOT] = "logged_in"
    assert asyncio.run(form.required_slots(["username", "password"], CollectingDispatcher(),
                                           call, {})) == []
