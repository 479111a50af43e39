"""The payment form's questions with no member behind the chat, and its once-per-call read of
the member's bills kept per thread (turns run on several threads at once)."""

from __future__ import annotations

import asyncio
import threading

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from dialogs.actions import payment_form
from dialogs.actions.payment_form import ActionAskPaymentAmount

DOMAIN = {"responses": {}}


def _tracker(sender: str) -> Tracker:
    return Tracker(sender, {"payment_plan": "both", "language": "en"},
                   {"text": "both", "intent": {"name": "inform"}, "entities": []}, [], False,
                   None, {"name": "payment_form"}, "action_listen")


def test_the_amount_question_without_a_logged_in_member_asks_to_log_in(services):
    """Found by the engine fuzz test: the question read the bills of no one, and the turn
    failed (AttributeError on None)."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionAskPaymentAmount().run(dispatcher, _tracker("nobody"), DOMAIN))
    assert [message.get("response") for message in dispatcher.messages] \
        == ["utter_log_in_first"]
    assert events  # the log-in starts


def test_a_read_on_one_thread_is_never_seen_by_another(services, monkeypatch):
    reads = iter(range(1, 100))
    monkeypatch.setattr(payment_form, "acting_member", lambda tracker: next(reads))
    monkeypatch.setattr(payment_form.billing, "account_summary",
                        lambda svc, member: f"bills of {member}")
    mine = _tracker("a")
    assert payment_form._read(mine) == (1, "bills of 1")
    seen = []
    other = threading.Thread(target=lambda: seen.append(payment_form._read(_tracker("b"))))
    other.start()
    other.join()
    assert seen == [(2, "bills of 2")]
    assert payment_form._read(mine) == (1, "bills of 1")  # still this call's own read
