"""Password guessing: locked out per account whatever chat the guesses come from, limited per
chat whatever usernames it tries, and a failure that reads and takes the same time whether the
username exists or not (with the real argon2id cost)."""

from __future__ import annotations

import statistics
import time

import pytest

from services import accounts, passwords, sessions
from services.accounts import LOGIN_FAILED
from services.errors import AccountLocked, LoginFailed
from tests.conftest import build_services
from tests.e2e.conftest import DEMO_PASSWORD, RestChat
from tests.factories import DEFAULT_PASSWORD, make_member
from tests.fakes import FakeGateway

WRONG = "Not-The-Password-9"


def logged_in(app_runtime, sender: str) -> bool:
    return sessions.current_account_id(app_runtime.services, channel="rest",
                                       chat_id=sender) is not None


@pytest.fixture
def real_cost_member(sqlite_engine, clock, policy, secrets):
    """A member whose password is hashed with the real argon2id parameters."""
    assert passwords._hasher.time_cost >= 2, "another test left cheap hashing behind"
    svc = build_services(sqlite_engine, gateway=FakeGateway(), clock=clock, policy=policy,
                         secrets=secrets)
    make_member(svc, username="mary.oneil")
    return svc


def failure_of(svc, username: str) -> tuple[str, float]:
    started = time.perf_counter()
    with pytest.raises(LoginFailed) as failed:
        accounts.log_in(svc, username, WRONG)
    return failed.value.message, time.perf_counter() - started


def test_an_unknown_username_fails_alike_and_takes_as_long(real_cost_member):
    svc = real_cost_member
    known, unknown = [], []
    for round_ in range(6):  # interleaved, so a busy machine slows both alike
        if round_ == 3:  # stay under the lock-out: a right password resets the count
            accounts.log_in(svc, "mary.oneil", DEFAULT_PASSWORD)
        message_known, took_known = failure_of(svc, "mary.oneil")
        message_unknown, took_unknown = failure_of(svc, f"nobody{round_}")
        assert message_known == message_unknown == LOGIN_FAILED
        known.append(took_known)
        unknown.append(took_unknown)
    ratio = statistics.median(unknown) / statistics.median(known)
    assert 0.5 < ratio < 2, f"known {statistics.median(known):.3f} s, unknown " \
                            f"{statistics.median(unknown):.3f} s"
    assert statistics.median(known) > 0.01, "a real argon2id check, not a shortcut"


def test_guesses_from_many_chats_lock_the_account_for_all_of_them(http_client, app_runtime):
    guessers = [RestChat(http_client, sender=f"guesser-{n}") for n in range(5)]
    for chat in guessers:  # one guess each: no chat comes near its own limit
        chat.log_in("alex", WRONG)

    assert "paused until" in guessers[-1].text
    member = RestChat(http_client, sender="alex-phone")
    member.log_in("alex", DEMO_PASSWORD)
    assert "paused until" in member.text, "the right password waits for the delay too"
    assert not logged_in(app_runtime, "alex-phone")
    other = RestChat(http_client, sender="linda-phone")
    other.log_in("linda", DEMO_PASSWORD)
    assert logged_in(app_runtime, "linda-phone"), "other accounts are not locked"


def test_a_locked_account_opens_again_after_the_lock(http_client, app_runtime, clock):
    chat = RestChat(http_client, sender="alex-phone")
    for _ in range(5):
        chat.log_in("alex", WRONG)
    with pytest.raises(AccountLocked):
        accounts.log_in(app_runtime.services, "alex", DEMO_PASSWORD)
    clock.advance(minutes=16)
    chat.log_in("alex", DEMO_PASSWORD)
    assert logged_in(app_runtime, "alex-phone")


def test_a_throttled_chat_reads_the_same_for_known_and_unknown_usernames(http_client):
    def throttled_reply(sender: str, username: str) -> list:
        chat = RestChat(http_client, sender=sender)
        for number in range(10):  # a wrong password keeps the username: start again for each
            chat.say("/log_in")
            chat.say(f"stranger{number}")
            chat.say(WRONG)
            chat.say("/cancel")
        chat.log_in(username, WRONG)
        return [(reply["text"], reply["buttons"]) for reply in chat.replies]

    known, unknown = throttled_reply("chat-a", "alex"), throttled_reply("chat-b", "nobody")
    assert known == unknown
    assert "too many log-in attempts from this chat" in known[0][0]


def test_password_re_entry_counts_toward_the_same_lock(http_client, app_runtime):
    svc = app_runtime.services
    chat = RestChat(http_client, sender="alex-phone")
    chat.log_in("alex", DEMO_PASSWORD)
    for _ in range(5):
        with pytest.raises((LoginFailed, AccountLocked)):
            sessions.reauthenticate(svc, channel="rest", chat_id="alex-phone", password=WRONG)
    with pytest.raises(AccountLocked):
        accounts.log_in(svc, "alex", DEMO_PASSWORD)
