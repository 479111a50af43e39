import datetime as dt

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, ActiveLoop, FollowupAction, SessionStarted, SlotSet
from sqlalchemy import select

from dialogs.actions import runtime
from dialogs.actions.member_session import (
    acting_member,
    money_guard,
    resume_events,
    resume_target,
)
from services.persistence.models import ChatLink
from services.sessions import link_chat
from tests.conftest import build_services
from tests.factories import make_member, use_fast_password_hashing
from tests.fakes import FakeGateway


@pytest.fixture
def svc(sqlite_engine, clock, policy, secrets, monkeypatch):
    use_fast_password_hashing(monkeypatch)
    services = build_services(sqlite_engine, gateway=FakeGateway(), clock=clock, policy=policy,
                              secrets=secrets)
    runtime.configure(services)
    yield services
    runtime.configure(None)


@pytest.fixture
def member(svc):
    account = make_member(svc)
    link_chat(svc, channel="telegram", chat_id="5550001", account_id=account.id)
    return account


def tracker(sender: str = "telegram:5550001", slots: dict | None = None,
            events: list | None = None) -> Tracker:
    return Tracker(sender, slots or {}, {}, events or [], False, None, {}, "action_listen")


def last_active(svc) -> dt.datetime:
    with svc.uow() as uow:
        return uow.session.scalar(select(ChatLink.last_active_at))


def test_the_acting_member_comes_from_the_chat_session(svc, member):
    assert acting_member(tracker()) == member.id
    # The same chat id on another channel is another chat.
    assert acting_member(tracker("console:5550001")) is None


def test_a_fresh_session_passes_the_guard_and_stays_fresh(svc, member, clock):
    clock.advance(minutes=10)

    assert money_guard(tracker(), resume="payment_form") is None
    assert last_active(svc) == clock.now()


def test_without_a_session_the_guard_starts_log_in_then_resumes(svc):
    events = money_guard(tracker(), resume="payment_form")

    assert events == [ActiveLoop(None), SlotSet("requested_slot", None),
                      SlotSet("resume_after_login", "payment_form"), FollowupAction("login_form")]


def test_an_idle_session_asks_for_the_password_again(svc, member, clock):
    clock.advance(minutes=16)

    events = money_guard(tracker(), resume="action_confirm_payment")

    assert events[-2:] == [SlotSet("resume_after_login", "action_confirm_payment"),
                           FollowupAction("reauth_form")]
    assert acting_member(tracker()) == member.id, "reading still works on an idle session"


def test_after_log_in_the_member_goes_on_with_what_was_waiting():
    asked_this_session = [SessionStarted(), ActionExecuted("action_listen"),
                          SlotSet("resume_after_login", "payment_form")]
    waiting = tracker(slots={"resume_after_login": "payment_form"}, events=asked_this_session)

    assert resume_events(waiting) == [SlotSet("resume_after_login", None),
                                      FollowupAction("payment_form")]
    assert resume_events(tracker()) == [SlotSet("resume_after_login", None)]


def test_what_an_earlier_session_was_waiting_for_is_not_resumed():
    carried_over = [SessionStarted(), SlotSet("resume_after_login", "payment_form"),
                    ActionExecuted("action_listen")]
    stale = tracker(slots={"resume_after_login": "payment_form"}, events=carried_over)

    assert resume_target(stale) is None
    assert resume_events(stale) == [SlotSet("resume_after_login", None)]
