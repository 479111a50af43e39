import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from services import accounts, passwords
from services.accounts import (
    SECURITY_QUESTIONS,
    chat_source,
    check_username,
    create_account,
    get_account,
    lockout_status,
    log_in,
    login_tries_left,
    reset_password,
    security_question_for,
    update_reminder_settings,
    verify_identity,
)
from services.errors import (
    AccountLocked,
    AttemptsPaused,
    IdentityAttemptsUsed,
    IdentityNotVerified,
    InvalidInput,
    LoginFailed,
    NotFound,
    UsernameUnavailable,
    WeakPassword,
)
from services.persistence.models import Account, AuditEvent
from services.sessions import current_account_id, link_chat
from tests.conftest import build_services
from tests.factories import (
    DEFAULT_ANSWERS,
    DEFAULT_DOB,
    DEFAULT_PASSWORD,
    DEFAULT_SSN,
    make_enrollment,
    make_member,
    use_fast_password_hashing,
)
from tests.fakes import FakeGateway

NEW_PASSWORD = "Green-Valley-77"


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch):
    use_fast_password_hashing(monkeypatch)


@pytest.fixture
def svc(sqlite_engine, clock, policy, secrets):
    return build_services(sqlite_engine, gateway=FakeGateway(), clock=clock, policy=policy,
                          secrets=secrets)


@pytest.fixture
def enrollment(svc):
    with svc.uow() as uow:
        record = make_enrollment(uow.session, ssn_key=svc.secrets.ssn_hash_key)
        uow.commit()
    return record


def open_account(svc, **overrides):
    details = dict(full_name="Mary O'Neil", date_of_birth=DEFAULT_DOB, ssn=DEFAULT_SSN,
                   username="mary.oneil", password=DEFAULT_PASSWORD,
                   security_answers=DEFAULT_ANSWERS)
    return create_account(svc, **{**details, **overrides})


def audit_events(svc, kind=None):
    with svc.uow() as uow:
        query = select(AuditEvent).order_by(AuditEvent.id)
        if kind:
            query = query.where(AuditEvent.kind == kind)
        return uow.session.scalars(query).all()


def account_count(svc):
    with svc.uow() as uow:
        return uow.session.scalar(select(func.count(Account.id)))


def test_there_are_six_to_eight_distinct_security_questions():
    assert 6 <= len(SECURITY_QUESTIONS) <= 8
    assert len(set(SECURITY_QUESTIONS)) == len(SECURITY_QUESTIONS)


# --- usernames ------------------------------------------------------------------------------


def test_usernames_are_stored_lower_case(svc):
    assert check_username(svc, "  Mary.ONeil_85 ") == "mary.oneil_85"


@pytest.mark.parametrize("username, rule", [
    ("abc", "4 to 32"),
    ("a" * 33, "4 to 32"),
    ("9lives", "start with a letter"),
    ("_mary", "start with a letter"),
    ("mary oneil", "only letters, numbers"),
    ("mary@example", "only letters, numbers"),
    ("maría", "only letters, numbers"),
])
def test_username_rules(svc, username, rule):
    with pytest.raises(InvalidInput, match=rule) as error:
        check_username(svc, username)
    assert not isinstance(error.value, UsernameUnavailable)


def test_a_taken_username_is_unavailable_whatever_its_case(svc):
    make_member(svc, username="mary.oneil")
    with pytest.raises(UsernameUnavailable):
        check_username(svc, "MARY.ONEIL")


# --- identity verification ------------------------------------------------------------------


def test_identity_matches_despite_case_spacing_and_ssn_format(svc, enrollment):
    found = verify_identity(svc, full_name="  mary  o’neil", date_of_birth=DEFAULT_DOB,
                            ssn="123 45 6789")
    assert found.id == enrollment.id


@pytest.mark.parametrize("field, value", [
    ("full_name", "Mary O'Neill"),
    ("date_of_birth", dt.date(1985, 3, 15)),
    ("ssn", "123-45-6780"),
])
def test_any_mismatch_gets_one_generic_message(svc, enrollment, field, value):
    details = dict(full_name="Mary O'Neil", date_of_birth=DEFAULT_DOB, ssn=DEFAULT_SSN)
    with pytest.raises(IdentityNotVerified) as error:
        verify_identity(svc, **{**details, field: value})
    assert str(error.value) == accounts.IDENTITY_NOT_VERIFIED


def test_a_malformed_ssn_is_a_typing_error_not_a_mismatch(svc, enrollment):
    with pytest.raises(InvalidInput, match="all 9 digits"):
        verify_identity(svc, full_name="Mary O'Neil", date_of_birth=DEFAULT_DOB, ssn="12345")


def test_the_ssn_must_match_under_this_exchanges_key(svc, secrets):
    with svc.uow() as uow:
        make_enrollment(uow.session, ssn_key=b"another exchange's key")
        uow.commit()
    with pytest.raises(IdentityNotVerified):
        verify_identity(svc, full_name="Mary O'Neil", date_of_birth=DEFAULT_DOB, ssn=DEFAULT_SSN)


# --- opening an account ---------------------------------------------------------------------


def test_create_account_keeps_only_hashes(svc, enrollment):
    account = open_account(svc, username="Mary.ONeil")
    assert account.enrollment_id == enrollment.id
    assert account.username == "mary.oneil"
    assert account.password_hash.startswith("$argon2id$")
    assert passwords.verify_password(account.password_hash, DEFAULT_PASSWORD)
    assert account.security_question_1 == DEFAULT_ANSWERS[0][0]
    # A hash, not the answer: (a "contains 'rex'" check failed once in ~500 runs, when the
    # random salt's base64 spelled it)
    assert account.security_answer_1_hash.startswith("$argon2id$")
    assert not passwords.verify_answer(account.security_answer_1_hash, "Rover")
    assert passwords.verify_answer(account.security_answer_1_hash, " REX ")
    assert passwords.verify_answer(account.security_answer_2_hash, "elm street")
    assert account.created_at == svc.now()
    [event] = audit_events(svc, "account_created")
    assert event.account_id == account.id
    assert event.detail == {"member_id": enrollment.member_id, "username": "mary.oneil"}


def test_a_second_account_on_the_same_enrollment_is_refused(svc, enrollment):
    open_account(svc)
    with pytest.raises(IdentityNotVerified) as error:
        open_account(svc, username="mary.two")
    assert str(error.value) == accounts.IDENTITY_NOT_VERIFIED
    assert "log in or reset your password" in str(error.value)
    assert account_count(svc) == 1


def test_an_existing_account_and_a_wrong_ssn_are_refused_alike(svc, enrollment):
    """Different answers would confirm to a stranger that an SSN belongs to a member."""
    open_account(svc)
    with pytest.raises(IdentityNotVerified) as has_account:
        verify_identity(svc, full_name="Mary O'Neil", date_of_birth=DEFAULT_DOB, ssn=DEFAULT_SSN)
    with pytest.raises(IdentityNotVerified) as wrong_ssn:
        verify_identity(svc, full_name="Mary O'Neil", date_of_birth=DEFAULT_DOB,
                        ssn="123-45-6780")
    assert str(has_account.value) == str(wrong_ssn.value) == accounts.IDENTITY_NOT_VERIFIED


def guess_ssn(svc, source, ssn="123-45-6780", full_name="Mary O'Neil"):
    verify_identity(svc, full_name=full_name, date_of_birth=DEFAULT_DOB, ssn=ssn,
                    source=source)


def test_identity_guesses_are_limited_per_person_whatever_chat_they_come_from(
        svc, enrollment, clock):
    for number in range(2):
        with pytest.raises(IdentityNotVerified) as error:
            guess_ssn(svc, f"rest:guesser-{number}")
        assert type(error.value) is IdentityNotVerified
    with pytest.raises(IdentityAttemptsUsed):
        guess_ssn(svc, "rest:guesser-2")
    with pytest.raises(IdentityAttemptsUsed):  # even the right SSN, from yet another chat
        guess_ssn(svc, "telegram:99", ssn=DEFAULT_SSN)
    clock.advance(hours=1)
    assert guess_ssn(svc, "telegram:99", ssn=DEFAULT_SSN) is None


def test_identity_guesses_are_limited_per_chat_whatever_person_they_claim(svc, enrollment):
    for name in ("Ann Lee", "Bob Lee"):
        with pytest.raises(IdentityNotVerified):
            guess_ssn(svc, "telegram:7", full_name=name)
    with pytest.raises(IdentityAttemptsUsed):
        guess_ssn(svc, "telegram:7", full_name="Cy Lee")
    guess_ssn(svc, "telegram:8", ssn=DEFAULT_SSN)  # another chat is not held up


def test_a_person_without_a_record_is_limited_alike(svc, enrollment):
    """The same count and the same refusals, or a stranger could tell who is enrolled."""
    def refusals(full_name):
        kinds = []
        for number in range(4):
            with pytest.raises(IdentityNotVerified) as error:
                guess_ssn(svc, f"rest:{full_name}-{number}", full_name=full_name)
            kinds.append((type(error.value), str(error.value)))
        return kinds

    assert refusals("Mary O'Neil") == refusals("Nobody Enrolled")


def test_the_same_person_with_two_enrollments_gets_the_free_one(svc, enrollment):
    open_account(svc)
    with svc.uow() as uow:
        second = make_enrollment(uow.session, ssn_key=svc.secrets.ssn_hash_key)
        uow.commit()
    assert open_account(svc, username="mary.two").enrollment_id == second.id


@pytest.mark.parametrize("overrides, error, reason", [
    ({"username": "mary oneil"}, InvalidInput, "only letters"),
    ({"password": "password123"}, WeakPassword, "too common"),
    ({"password": "mary.oneil-X9!"}, WeakPassword, "username"),
    ({"security_answers": DEFAULT_ANSWERS[:1]}, InvalidInput, "two different"),
    ({"security_answers": [DEFAULT_ANSWERS[0], DEFAULT_ANSWERS[0]]}, InvalidInput,
     "two different"),
    ({"security_answers": [("What is your favourite colour?", "Blue"), DEFAULT_ANSWERS[1]]},
     InvalidInput, "two different"),
    ({"security_answers": [(SECURITY_QUESTIONS[0], " ?! "), DEFAULT_ANSWERS[1]]},
     InvalidInput, "answer both"),
    ({"ssn": "876-54-3210"}, IdentityNotVerified, "couldn't verify"),
])
def test_nothing_is_written_when_any_detail_is_wrong(svc, enrollment, overrides, error, reason):
    with pytest.raises(error, match=reason):
        open_account(svc, **overrides)
    assert account_count(svc) == 0
    assert audit_events(svc) == []


def test_a_taken_username_refuses_the_account(svc, enrollment):
    make_member(svc, username="mary.oneil", ssn="222-33-4444", full_name="Mary Smith")
    with pytest.raises(UsernameUnavailable):
        open_account(svc)
    assert account_count(svc) == 1


# --- logging in -----------------------------------------------------------------------------


def test_log_in_with_the_right_password(svc, clock):
    member = make_member(svc)
    account = log_in(svc, "  Mary.ONeil ", DEFAULT_PASSWORD)
    assert account.id == member.id
    assert account.enrollment.full_name == "Mary O'Neil"  # loaded, for greeting the member
    assert account.last_login_at == clock.now()
    [event] = audit_events(svc, "login_succeeded")
    assert event.account_id == member.id


def test_unknown_username_and_wrong_password_fail_alike(svc):
    make_member(svc)
    with pytest.raises(LoginFailed) as unknown:
        log_in(svc, "nobody.here", DEFAULT_PASSWORD)
    with pytest.raises(LoginFailed) as wrong:
        log_in(svc, "mary.oneil", "Wrong-Password-1")
    assert str(unknown.value) == str(wrong.value) == \
        "That username and password don't match. Please try again."


def test_an_unknown_username_still_costs_a_password_check(svc, monkeypatch):
    checked = []
    real_verify = passwords.verify_password

    def spy(password_hash, password):
        checked.append(password_hash)
        return real_verify(password_hash, password)

    monkeypatch.setattr(passwords, "verify_password", spy)
    with pytest.raises(LoginFailed):
        log_in(svc, "nobody.here", DEFAULT_PASSWORD)
    assert checked == [passwords.DUMMY_HASH]


def failed_logins(svc, times, password="Wrong-Password-1"):
    for _ in range(times):
        with pytest.raises(LoginFailed):
            log_in(svc, "mary.oneil", password)


def test_the_fifth_failure_in_a_row_locks_the_account_for_15_minutes(svc, clock):
    make_member(svc)
    failed_logins(svc, 4)
    with pytest.raises(AccountLocked) as error:
        log_in(svc, "mary.oneil", "Wrong-Password-1")
    until = clock.now() + dt.timedelta(minutes=15)
    assert error.value.locked_until == until
    assert "10:15 AM EST" in str(error.value)  # 15:15 UTC, in the exchange's time zone
    assert lockout_status(svc, "mary.oneil") == until
    assert len(audit_events(svc, "account_locked")) == 1


def test_a_locked_account_refuses_even_the_right_password_until_the_lock_ends(svc, clock):
    make_member(svc)
    failed_logins(svc, 4)
    with pytest.raises(AccountLocked):
        log_in(svc, "mary.oneil", "Wrong-Password-1")
    clock.advance(minutes=14, seconds=59)
    with pytest.raises(AccountLocked):
        log_in(svc, "mary.oneil", DEFAULT_PASSWORD)
    clock.advance(seconds=1)
    assert lockout_status(svc, "mary.oneil") is None
    log_in(svc, "mary.oneil", DEFAULT_PASSWORD)
    assert login_tries_left(svc, "mary.oneil") == 5


def test_each_failure_after_a_delay_doubles_it(svc, clock):
    """A guesser gets a few tries a day, not five every 15 minutes."""
    make_member(svc)
    failed_logins(svc, 4)
    for minutes in (15, 30, 60, 120):
        with pytest.raises(AccountLocked) as error:
            log_in(svc, "mary.oneil", "Wrong-Password-1")
        assert error.value.locked_until == clock.now() + dt.timedelta(minutes=minutes)
        clock.advance(minutes=minutes)


def test_tries_during_a_delay_neither_count_nor_extend_it(svc, clock, monkeypatch):
    make_member(svc)
    failed_logins(svc, 4)
    with pytest.raises(AccountLocked) as first:
        log_in(svc, "mary.oneil", "Wrong-Password-1")
    checked = []
    monkeypatch.setattr(passwords, "verify_password", lambda *args: checked.append(args))
    for _ in range(20):
        clock.advance(seconds=30)
        with pytest.raises(AccountLocked) as again:
            log_in(svc, "mary.oneil", "Wrong-Password-1")
        assert again.value.locked_until == first.value.locked_until
    assert checked == [], "no password is checked while the username waits"


def test_a_day_without_failures_starts_the_count_again(svc, clock):
    make_member(svc)
    failed_logins(svc, 4)
    with pytest.raises(AccountLocked):
        log_in(svc, "mary.oneil", "Wrong-Password-1")
    clock.advance(hours=24)
    assert login_tries_left(svc, "mary.oneil") == 5
    failed_logins(svc, 4)


def test_tries_left_before_a_delay(svc):
    make_member(svc)
    assert login_tries_left(svc, "mary.oneil") == 5
    failed_logins(svc, 3)
    assert login_tries_left(svc, "Mary.ONeil") == 2
    assert login_tries_left(svc, "mary.oneil", source="telegram:1") == 2
    with pytest.raises(LoginFailed):
        log_in(svc, "mary.oneil", "Wrong-Password-1")
    with pytest.raises(AccountLocked):
        log_in(svc, "mary.oneil", "Wrong-Password-1")
    assert login_tries_left(svc, "mary.oneil") == 0


def lock_out(svc, username, source=None):
    """Fail until the username waits; the refusals as (kind, message, until)."""
    replies = []
    for _ in range(5):
        with pytest.raises((LoginFailed, AccountLocked)) as error:
            log_in(svc, username, "Wrong-Password-1", source=source)
        replies.append((type(error.value), str(error.value),
                        getattr(error.value, "locked_until", None)))
    return replies


def test_an_unknown_username_locks_exactly_like_a_known_one(svc):
    """Otherwise the lock itself would tell a stranger which usernames exist."""
    make_member(svc)
    assert lock_out(svc, "mary.oneil") == lock_out(svc, "nobody.here")
    assert lockout_status(svc, "nobody.here") == lockout_status(svc, "mary.oneil") is not None


def test_a_chat_guessing_many_usernames_is_paused(svc, clock):
    make_member(svc)
    source = chat_source("rest", "guesser")
    for number in range(9):
        with pytest.raises(LoginFailed):
            log_in(svc, f"user{number}", "Wrong-Password-1", source=source)
    with pytest.raises(AttemptsPaused, match="from this chat") as paused:
        log_in(svc, "user9", "Wrong-Password-1", source=source)
    assert paused.value.locked_until == clock.now() + dt.timedelta(minutes=15)
    with pytest.raises(AttemptsPaused):  # the right password waits too
        log_in(svc, "mary.oneil", DEFAULT_PASSWORD, source=source)
    log_in(svc, "mary.oneil", DEFAULT_PASSWORD, source=chat_source("rest", "member"))


def test_a_success_resets_the_count(svc):
    make_member(svc)
    failed_logins(svc, 4)
    log_in(svc, "mary.oneil", DEFAULT_PASSWORD)
    failed_logins(svc, 4)
    assert lockout_status(svc, "mary.oneil") is None


def test_the_lockout_follows_the_configuration(sqlite_engine, clock, policy, secrets):
    from services.context import ServiceConfig

    svc = build_services(sqlite_engine, gateway=FakeGateway(), clock=clock, policy=policy,
                         secrets=secrets,
                         config=ServiceConfig(lockout_after_failures=2, lockout_minutes=60))
    make_member(svc)
    failed_logins(svc, 1)
    with pytest.raises(AccountLocked) as error:
        log_in(svc, "mary.oneil", "Wrong-Password-1")
    assert error.value.locked_until == clock.now() + dt.timedelta(hours=1)


def test_audit_events_never_carry_a_password(svc):
    make_member(svc)
    failed_logins(svc, 2, password="Secret-Typed-Wrong-1")
    log_in(svc, "mary.oneil", DEFAULT_PASSWORD)
    with pytest.raises(LoginFailed):
        log_in(svc, "Secret-In-Username-Box", DEFAULT_PASSWORD)
    events = audit_events(svc)
    assert [event.kind for event in events] == [
        "account_created", "login_failed", "login_failed", "login_succeeded", "login_failed"]
    logged = json.dumps([event.detail for event in events]).lower()
    for secret in ("secret-typed-wrong-1", DEFAULT_PASSWORD.lower(), "secret-in-username-box",
                   "rex", "6789", "1985"):
        assert secret not in logged


def test_the_audit_refuses_secret_looking_details(svc):
    from services import audit

    with svc.uow() as uow, pytest.raises(ValueError, match="secrets"):
        audit.record(uow.session, "login_failed", at=svc.now(), new_password="x")


def test_a_login_upgrades_a_hash_made_with_old_parameters(svc):
    member = make_member(svc)
    passwords.configure_hashing(time_cost=2, memory_cost_kib=64, parallelism=1)
    assert log_in(svc, "mary.oneil", DEFAULT_PASSWORD).password_hash != member.password_hash
    assert "t=2" in get_account(svc, member.id).password_hash


# --- resetting a password -------------------------------------------------------------------


def reset(svc, **overrides):
    details = dict(username="mary.oneil", date_of_birth=DEFAULT_DOB, ssn_last4="6789",
                   question_index=1, security_answer="rex", new_password=NEW_PASSWORD)
    reset_password(svc, **{**details, **overrides})


def test_security_question_for_a_reset(svc):
    make_member(svc)
    assert security_question_for(svc, "Mary.ONeil") == (1, DEFAULT_ANSWERS[0][0])


def test_an_unknown_username_is_asked_a_stable_question_not_always_the_first(svc):
    """A default question for unknown usernames would tell strangers which ones exist."""
    asked = {name: security_question_for(svc, name) for name in
             (f"nobody{number}" for number in range(40))}
    assert all(index == 1 and question in SECURITY_QUESTIONS
               for index, question in asked.values())
    assert len({question for _, question in asked.values()}) >= 4
    assert all(security_question_for(svc, name.upper()) == question
               for name, question in asked.items())


def test_reset_password_replaces_the_password_and_clears_a_lock(svc):
    make_member(svc)
    failed_logins(svc, 4)
    with pytest.raises(AccountLocked):
        log_in(svc, "mary.oneil", "Wrong-Password-1")
    reset(svc, security_answer="  REX. ")
    assert lockout_status(svc, "mary.oneil") is None
    with pytest.raises(LoginFailed):
        log_in(svc, "mary.oneil", DEFAULT_PASSWORD)
    assert log_in(svc, "mary.oneil", NEW_PASSWORD).username == "mary.oneil"
    assert len(audit_events(svc, "password_reset")) == 1


def test_reset_with_the_second_question(svc):
    make_member(svc)
    reset(svc, question_index=2, security_answer="Elm street")
    log_in(svc, "mary.oneil", NEW_PASSWORD)


@pytest.mark.parametrize("overrides", [
    {"date_of_birth": dt.date(1985, 3, 15)},
    {"ssn_last4": "6788"},
    {"security_answer": "Max"},
    {"question_index": 2},  # "rex" is the first question's answer
    {"question_index": 3},
    {"username": "nobody.here"},
])
def test_any_wrong_reset_detail_gets_one_generic_message(svc, overrides):
    make_member(svc)
    with pytest.raises(IdentityNotVerified) as error:
        reset(svc, **overrides)
    assert str(error.value) == accounts.RESET_NOT_VERIFIED.format(phone=svc.policy.phone)
    log_in(svc, "mary.oneil", DEFAULT_PASSWORD)  # unchanged
    assert len(audit_events(svc, "password_reset_failed")) == 1


@pytest.mark.parametrize("overrides, error, reason", [
    ({"ssn_last4": "67"}, InvalidInput, "last 4 digits"),
    ({"new_password": "short"}, WeakPassword, "at least 10"),
    ({"new_password": "MARY.ONEIL-2026!"}, WeakPassword, "username"),
])
def test_a_reset_checks_its_input_before_anything_else(svc, overrides, error, reason):
    make_member(svc)
    with pytest.raises(error, match=reason):
        reset(svc, **overrides)
    log_in(svc, "mary.oneil", DEFAULT_PASSWORD)


def test_wrong_resets_are_limited_like_logins(svc, clock):
    make_member(svc)
    for _ in range(5):
        clock.advance(minutes=1)
        with pytest.raises(IdentityNotVerified):
            reset(svc, ssn_last4="0000")
    with pytest.raises(AccountLocked, match="password reset is paused") as error:
        reset(svc)  # even the right details wait
    assert error.value.locked_until == clock.now() + dt.timedelta(minutes=15)
    clock.advance(minutes=15)
    reset(svc)
    log_in(svc, "mary.oneil", NEW_PASSWORD)


def test_wrong_resets_from_one_chat_are_limited_whatever_usernames_it_tries(svc):
    make_member(svc)
    for number in range(10):
        with pytest.raises(IdentityNotVerified):
            reset(svc, username=f"user{number}", source="rest:guesser")
    with pytest.raises(AccountLocked, match="password reset is paused"):
        reset(svc, source="rest:guesser")
    reset(svc, source="rest:member")


def test_a_reset_stays_open_while_log_in_waits_and_ends_the_wait(svc):
    """A stranger guessing passwords keeps the username waiting; the member who proves who they
    are is not kept out."""
    make_member(svc)
    lock_out(svc, "mary.oneil")
    reset(svc)
    assert lockout_status(svc, "mary.oneil") is None
    log_in(svc, "mary.oneil", NEW_PASSWORD)


def test_a_reset_signs_every_chat_out(svc):
    member = make_member(svc)
    link_chat(svc, channel="telegram", chat_id=42, account_id=member.id)
    reset(svc)
    assert current_account_id(svc, channel="telegram", chat_id=42) is None


# --- reminder settings and look-ups ---------------------------------------------------------


def test_update_reminder_settings(svc):
    member = make_member(svc)
    assert member.reminder_offsets == [7, 3, 1, 0] and member.reminders_enabled
    account = update_reminder_settings(svc, member.id, offsets=[0, 14, 3], quiet_hours=(22, 7))
    assert account.reminder_offsets == [14, 3, 0]
    assert (account.quiet_hours_start, account.quiet_hours_end) == (22, 7)
    assert account.reminders_enabled
    update_reminder_settings(svc, member.id, enabled=False)
    stored = get_account(svc, member.id)
    assert not stored.reminders_enabled and stored.reminder_offsets == [14, 3, 0]
    assert audit_events(svc, "reminder_settings_changed")[-1].detail == {"enabled": False}


@pytest.mark.parametrize("changes, reason", [
    ({"offsets": [31]}, "0 to 30 days"),
    ({"offsets": [-1]}, "0 to 30 days"),
    ({"offsets": [True]}, "0 to 30 days"),
    ({"offsets": [3, 3]}, "only once"),
    ({"offsets": [0, 1, 2, 3, 4, 5, 6]}, "at most 6"),
    ({"offsets": []}, "at least one day"),
    ({"quiet_hours": (24, 7)}, "0 \\(midnight\\) to 23"),
    ({"quiet_hours": (8, 8)}, "different start and end"),
])
def test_reminder_settings_are_checked(svc, changes, reason):
    member = make_member(svc)
    with pytest.raises(InvalidInput, match=reason):
        update_reminder_settings(svc, member.id, **changes)
    assert get_account(svc, member.id).reminder_offsets == [7, 3, 1, 0]


def test_an_unknown_account_is_not_found(svc):
    with pytest.raises(NotFound):
        get_account(svc, 999)
    with pytest.raises(NotFound):
        update_reminder_settings(svc, 999, enabled=False)
