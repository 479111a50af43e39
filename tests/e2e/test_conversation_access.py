"""Account and access through the REST channel: logging in and out, the lock-out, opening an
account, a forgotten password, an expired session before a money action, and reminder settings
saved on the account."""

from __future__ import annotations

import json

from sqlalchemy import select

from services import accounts, sessions
from services.accounts import LOGIN_FAILED, SECURITY_QUESTIONS
from services.persistence.models import Account, ConversationEvent
from tests.e2e.conftest import DEMO_PASSWORD, RestChat

NEW_PASSWORD = "Sunny-Harbor-Lights-42"
JORDAN = {"name": "Jordan Lee", "dob": "04/12/1990", "ssn": "555-12-3456"}


def stored_events(app_runtime) -> str:
    """Every row of the tracker store, as text: what a database dump would show."""
    with app_runtime.services.uow() as uow:
        return json.dumps(list(uow.session.scalars(select(ConversationEvent.data))))


def logged_in_as(app_runtime, sender: str = "member-1") -> int | None:
    return sessions.current_account_id(app_runtime.services, channel="rest", chat_id=sender)


def account_id(app_runtime, username: str) -> int:
    with app_runtime.services.uow() as uow:
        return uow.session.scalar(select(Account.id).where(Account.username == username))


# --- logging in and out ---------------------------------------------------------------------


def test_log_in_greets_by_name_shows_the_dashboard_and_keeps_no_password(rest_chat,
                                                                         app_runtime):
    rest_chat.say("I want to log in")
    assert "username" in rest_chat.text
    rest_chat.say("alex")
    assert "password" in rest_chat.text and not rest_chat.deleted

    rest_chat.say(DEMO_PASSWORD)

    assert rest_chat.deleted
    assert "Welcome back, Alex!" in rest_chat.text
    assert "$441.50" in rest_chat.text, "the dashboard: what Alex owes"
    assert logged_in_as(app_runtime) == account_id(app_runtime, "alex")
    rows = stored_events(app_runtime)
    assert DEMO_PASSWORD not in rows
    assert "[redacted]" in rows


def test_five_wrong_passwords_lock_the_account_until_a_stated_time(rest_chat, app_runtime):
    rest_chat.say("/log_in")
    rest_chat.say("alex")
    for _ in range(4):
        rest_chat.say("not-the-password-1")
        assert LOGIN_FAILED in rest_chat.text
        assert rest_chat.deleted

    rest_chat.say("not-the-password-1")

    # 15:00 UTC is 10:00 AM in Boston; the first delay lasts 15 minutes.
    assert rest_chat.text == ("For your security, logging in to this account is paused until "
                              "10:15 AM after too many tries. You can reset your password now "
                              "or try again then.")
    assert [b["title"] for b in rest_chat.buttons] == ["Reset my password", "Talk to a person"]
    rest_chat.say("/log_in")
    rest_chat.say("alex")
    rest_chat.say(DEMO_PASSWORD)
    assert "paused until 10:15 AM" in rest_chat.text
    assert logged_in_as(app_runtime) is None


def test_an_unknown_username_gets_the_same_reply_as_a_wrong_password(rest_chat, another_chat):
    rest_chat.log_in("alex", "not-the-password-1")
    another_chat.log_in("nobody.here", "not-the-password-1")

    def seen(chat):
        return [(reply["text"], reply["buttons"], reply["custom"]) for reply in chat.replies]

    assert seen(rest_chat) == seen(another_chat)


def test_one_chat_may_fail_ten_times_before_it_waits(rest_chat, app_runtime, clock):
    for number in range(9):  # a wrong password keeps the username: start again for each
        rest_chat.say("/log_in")
        rest_chat.say(f"stranger{number}")
        rest_chat.say("guess-Password-1")
        assert LOGIN_FAILED in rest_chat.text
        rest_chat.say("/cancel")
    rest_chat.say("/log_in")
    rest_chat.say("stranger9")
    rest_chat.say("guess-Password-1")
    assert "too many log-in attempts from this chat" in rest_chat.text
    assert "try again after 10:15 AM" in rest_chat.text

    rest_chat.log_in("alex")

    assert "too many log-in attempts from this chat" in rest_chat.text
    assert logged_in_as(app_runtime) is None
    clock.advance(minutes=16)
    rest_chat.log_in("alex")
    assert logged_in_as(app_runtime) == account_id(app_runtime, "alex")


def test_log_out_unlinks_the_chat_and_offers_the_menu(rest_chat, app_runtime):
    rest_chat.log_in("alex")

    rest_chat.say("log me out")

    assert "You're logged out" in rest_chat.text
    assert "Log in" in [b["title"] for b in rest_chat.buttons]
    assert logged_in_as(app_runtime) is None
    rest_chat.say("/log_out")
    assert "You're not logged in." in rest_chat.text


def test_logging_in_again_says_who_is_logged_in(rest_chat):
    rest_chat.log_in("alex")

    rest_chat.say("/log_in")

    assert "You're already logged in as alex" in rest_chat.text


def test_cancel_in_the_middle_of_logging_in(rest_chat, app_runtime):
    rest_chat.say("/log_in")
    rest_chat.say("alex")

    rest_chat.say("cancel")

    assert "I've stopped that" in rest_chat.text
    assert logged_in_as(app_runtime) is None
    rest_chat.say("/log_in")
    assert "username" in rest_chat.text, "a new log-in starts from the username"


# --- opening an account ---------------------------------------------------------------------


def answer_identity(chat, name=JORDAN["name"], dob=JORDAN["dob"], ssn=JORDAN["ssn"]) -> None:
    chat.say(name)
    chat.say(dob)
    assert chat.deleted
    chat.say(ssn)
    assert chat.deleted


def test_jordan_opens_an_account_and_sees_the_dashboard(rest_chat, app_runtime):
    rest_chat.say("I'd like to create an account")
    assert "match you to your enrollment record" in rest_chat.text
    answer_identity(rest_chat)
    assert "SSN ending in 3456" in rest_chat.text
    assert "555-12" not in rest_chat.text and "555123456" not in rest_chat.text

    rest_chat.say("alex")
    assert "That username is taken" in rest_chat.text
    rest_chat.say("jordan.lee")
    assert "password" in rest_chat.text
    rest_chat.say("password123")
    assert rest_chat.deleted
    assert "too common" in rest_chat.text
    rest_chat.say(NEW_PASSWORD)
    assert [b["title"] for b in rest_chat.buttons][:len(SECURITY_QUESTIONS)] \
        == SECURITY_QUESTIONS
    rest_chat.tap(SECURITY_QUESTIONS[0])
    assert SECURITY_QUESTIONS[0] in rest_chat.text
    rest_chat.say("Rex")
    assert rest_chat.deleted
    assert SECURITY_QUESTIONS[0] not in [b["title"] for b in rest_chat.buttons]
    rest_chat.tap(SECURITY_QUESTIONS[1])
    rest_chat.say("Elm Street")

    assert "Your account is ready, Jordan: your username is jordan.lee" in rest_chat.text
    assert "SSN ending in 3456" in rest_chat.text
    assert "Total due" in rest_chat.text, "the dashboard"
    assert logged_in_as(app_runtime) == account_id(app_runtime, "jordan.lee")
    rows = stored_events(app_runtime)
    for secret in ("555-12-3456", "555123456", "04/12/1990", "1990-04-12", NEW_PASSWORD,
                   "Elm Street"):
        assert secret not in rows
    # The new account logs in with its password, and its first security answer works.
    accounts.log_in(app_runtime.services, "jordan.lee", NEW_PASSWORD)


def test_an_identity_mismatch_never_says_which_detail_was_wrong(rest_chat, app_runtime):
    rest_chat.say("/create_account")

    answer_identity(rest_chat, ssn="555-12-3457")
    wrong_ssn = rest_chat.text
    answer_identity(rest_chat, dob="04/13/1990")

    assert wrong_ssn == rest_chat.text
    assert "couldn't verify your identity" in wrong_ssn
    assert "What's your full name" in wrong_ssn, "the identity questions start again"
    assert "Talk to a person" in [b["title"] for b in rest_chat.buttons]


def test_three_mismatches_stop_the_form(rest_chat, app_runtime):
    rest_chat.say("/create_account")
    for last in (7, 8, 9):
        answer_identity(rest_chat, ssn=f"555-12-345{last}")

    assert "I've stopped here" in rest_chat.text
    assert "1-877-623-6765" in rest_chat.text
    rest_chat.say("Jordan Lee")
    assert "date of birth" not in rest_chat.text, "the form is over"


def test_new_chats_cannot_go_on_guessing_an_ssn(http_client, app_runtime, clock):
    """The limit is per person in the database: a new sender id per guess gains nothing."""
    for number, last in enumerate((7, 8, 9)):
        guesser = RestChat(http_client, sender=f"guesser-{number}")
        guesser.say("/create_account")
        answer_identity(guesser, ssn=f"555-12-345{last}")
    assert "I've stopped here" in guesser.text

    fresh = RestChat(http_client, sender="guesser-99")
    fresh.say("/create_account")
    answer_identity(fresh)  # the right SSN, but the person's tries are used up
    assert "I've stopped here" in fresh.text
    assert account_id(app_runtime, "jordan.lee") is None
    clock.advance(hours=1)
    fresh.say("/create_account")
    answer_identity(fresh)
    assert "Thanks, that's you" in fresh.text or "username" in fresh.text


def test_an_existing_account_reads_like_any_mismatch(rest_chat, another_chat):
    """"Already has an account" would confirm a stranger's guess of a member's SSN."""
    rest_chat.say("/create_account")
    answer_identity(rest_chat, name="Alex Rivera", dob="05/14/1986", ssn="219-09-9999")
    another_chat.say("/create_account")
    answer_identity(another_chat, name="Alex Rivera", dob="05/14/1986", ssn="219-09-9998")

    assert rest_chat.text == another_chat.text
    assert "couldn't verify your identity" in rest_chat.text


def test_cancel_in_the_middle_of_opening_an_account(rest_chat, app_runtime):
    rest_chat.say("/create_account")
    answer_identity(rest_chat)
    rest_chat.say("jordan.lee")

    rest_chat.say("/cancel")

    assert "I've stopped that" in rest_chat.text
    assert account_id(app_runtime, "jordan.lee") is None
    rest_chat.say("/create_account")
    assert "What's your full name" in rest_chat.text, "nothing given before is kept"


# --- a forgotten password ---------------------------------------------------------------------


def reset(chat, *, username="alex", dob="05/14/1986", last4="9999", answer="Rex",
          password=NEW_PASSWORD) -> None:
    chat.say("I forgot my password")
    chat.say(username)
    chat.say(dob)
    assert chat.deleted
    chat.say(last4)
    assert chat.deleted
    assert any(question in chat.text for question in SECURITY_QUESTIONS)
    chat.say(answer)
    assert chat.deleted
    chat.say(password)
    assert chat.deleted


def test_a_forgotten_password_is_reset_after_the_identity_checks(rest_chat, app_runtime):
    rest_chat.log_in("alex")
    reset(rest_chat)

    assert "Your password is changed and this chat is logged in" in rest_chat.text
    assert logged_in_as(app_runtime) == account_id(app_runtime, "alex")
    accounts.log_in(app_runtime.services, "alex", NEW_PASSWORD)
    assert NEW_PASSWORD not in stored_events(app_runtime)


def test_a_reset_logs_out_every_other_chat(rest_chat, another_chat, app_runtime):
    another_chat.log_in("alex")
    reset(rest_chat)

    assert logged_in_as(app_runtime, another_chat.sender) is None
    assert logged_in_as(app_runtime) == account_id(app_runtime, "alex")


def test_a_reset_gets_the_member_in_while_a_stranger_keeps_the_log_in_paused(
        http_client, rest_chat, app_runtime):
    for number in range(8):
        RestChat(http_client, sender=f"stranger-{number}").log_in("alex", "not-the-password-1")
    rest_chat.log_in("alex", NEW_PASSWORD)
    assert "paused until" in rest_chat.text

    rest_chat.say("/cancel")
    reset(rest_chat)

    assert logged_in_as(app_runtime) == account_id(app_runtime, "alex")


def test_a_wrong_detail_changes_nothing_and_says_nothing_specific(rest_chat, another_chat,
                                                                 app_runtime):
    reset(rest_chat, answer="Max")
    reset(another_chat, username="nobody.here")

    assert "We couldn't verify those details" in rest_chat.text
    assert rest_chat.text == another_chat.text, "an unknown username is not told apart"
    assert logged_in_as(app_runtime) is None
    rest_chat.log_in("alex")
    assert "Welcome back, Alex!" in rest_chat.text


def test_a_weak_new_password_is_refused_with_the_reason(rest_chat):
    reset(rest_chat, password="short")

    assert "at least 10 characters" in rest_chat.text
    rest_chat.say(NEW_PASSWORD)
    assert "Your password is changed" in rest_chat.text


def test_cant_log_in_explains_a_lock_out_and_offers_the_reset(rest_chat):
    for _ in range(5):
        rest_chat.log_in("alex", "not-the-password-1")

    rest_chat.say("I can't log in")
    rest_chat.say("alex")

    assert "paused until 10:15 AM" in rest_chat.text
    assert "date of birth" in rest_chat.text, "the reset goes on"


# --- an idle session before a money action --------------------------------------------------


def test_an_expired_session_asks_for_the_password_then_goes_on(rest_chat, app_runtime, clock):
    rest_chat.log_in("alex")
    clock.advance(minutes=16)

    rest_chat.say("/make_payment")
    assert "enter your password again" in rest_chat.text
    rest_chat.say(DEMO_PASSWORD)

    assert rest_chat.deleted
    assert "Thanks, that's you" in rest_chat.text
    assert "What would you like to pay?" in rest_chat.text, "the payment goes on"
    assert DEMO_PASSWORD not in stored_events(app_runtime)


def test_a_money_action_when_not_logged_in_logs_in_first_then_goes_on(rest_chat):
    rest_chat.say("/make_payment")
    assert "let's log you in" in rest_chat.text
    rest_chat.say("alex")
    rest_chat.say(DEMO_PASSWORD)

    assert "Welcome back, Alex!" in rest_chat.text
    assert "What would you like to pay?" in rest_chat.text


def test_a_payment_left_at_the_log_in_prompt_does_not_start_in_a_later_session(rest_chat,
                                                                             clock):
    rest_chat.say("/make_payment")
    assert "let's log you in" in rest_chat.text
    clock.advance(minutes=61)  # a new session

    rest_chat.say("/log_in")
    assert "let's log you in" not in rest_chat.text
    rest_chat.say("alex")
    rest_chat.say(DEMO_PASSWORD)

    assert "Welcome back, Alex!" in rest_chat.text
    assert "Here's what you owe" in rest_chat.text, "the dashboard, as after any log-in"
    assert "What would you like to pay?" not in rest_chat.text


def test_a_balance_an_hour_later_needs_the_password_again(rest_chat, app_runtime, clock):
    """On REST the sender id is the whole credential: a session ends even for reading."""
    rest_chat.log_in("alex")
    rest_chat.say("/check_balance")
    assert "$441.50" in rest_chat.text
    clock.advance(hours=1)

    rest_chat.say("/check_balance")

    assert "$441.50" not in rest_chat.text
    assert "let's log you in" in rest_chat.text
    assert logged_in_as(app_runtime) is None
    rest_chat.say("alex")
    rest_chat.say(DEMO_PASSWORD)
    assert "$441.50" in rest_chat.text


def test_a_wrong_password_on_re_entry_counts_toward_the_lock(rest_chat, app_runtime, clock):
    rest_chat.log_in("alex")
    clock.advance(minutes=16)
    rest_chat.say("/make_payment")

    rest_chat.say("not-the-password-1")

    assert LOGIN_FAILED in rest_chat.text
    assert "enter your password again" in rest_chat.text
    assert accounts.login_tries_left(app_runtime.services, "alex") == 4


# --- reminder settings on the account -------------------------------------------------------


def test_reminder_settings_are_saved_on_the_account(rest_chat, app_runtime):
    rest_chat.log_in("alex")

    rest_chat.say("/reminder_settings")
    assert "Right now I remind you" in rest_chat.text
    rest_chat.tap("Yes")
    rest_chat.say("5 and 2")
    rest_chat.say("10pm to 7am")

    assert "Saved: a reminder 5 and 2 days before each due date" in rest_chat.text
    account = accounts.get_account(app_runtime.services, account_id(app_runtime, "alex"))
    assert (account.reminders_enabled, account.reminder_offsets) == (True, [5, 2])
    assert (account.quiet_hours_start, account.quiet_hours_end) == (22, 7)


def test_reminders_chosen_before_logging_in_are_saved_after(rest_chat, app_runtime):
    rest_chat.say("/reminder_settings")
    rest_chat.tap("No reminders")
    assert "please log in to save them" in rest_chat.text
    rest_chat.say("alex")
    rest_chat.say(DEMO_PASSWORD)

    assert "OK, no reminders before due dates" in rest_chat.text
    account = accounts.get_account(app_runtime.services, account_id(app_runtime, "alex"))
    assert account.reminders_enabled is False


def test_cancel_in_the_middle_of_a_password_reset(rest_chat):
    rest_chat.say("/forgot_password")
    rest_chat.say("alex")
    rest_chat.say("05/14/1986")

    rest_chat.say("/cancel")

    assert "I've stopped that" in rest_chat.text
    rest_chat.say("/forgot_password")
    assert "What's your username?" in rest_chat.text, "nothing given before is kept"


def test_cancel_instead_of_the_password_again_drops_the_payment(rest_chat, clock):
    rest_chat.log_in("alex")
    clock.advance(minutes=16)
    rest_chat.say("/make_payment")

    rest_chat.say("/cancel")

    assert "I've stopped that" in rest_chat.text
    rest_chat.say("/help")
    assert "What would you like to pay?" not in rest_chat.text
