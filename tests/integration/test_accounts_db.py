"""Accounts and sessions on SQLite and PostgreSQL: create -> log in -> link -> lock-out -> reset.

The first test uses the real argon2id parameters, so it also shows the hashes fit the columns.
"""

import datetime as dt

import pytest
from sqlalchemy import select

from services.accounts import (
    create_account,
    lockout_status,
    log_in,
    login_tries_left,
    reset_password,
    security_question_for,
    verify_identity,
)
from services.errors import (
    AccountLocked,
    IdentityNotVerified,
    LoginFailed,
    NotLoggedIn,
    SessionExpired,
    UsernameUnavailable,
)
from services.persistence.models import AuditEvent
from services.sessions import current_account_id, link_chat, reauthenticate, require_member
from tests.concurrency import run_together
from tests.conftest import build_services
from tests.factories import (
    DEFAULT_ANSWERS,
    DEFAULT_DOB,
    DEFAULT_PASSWORD,
    make_enrollment,
    make_member,
    use_fast_password_hashing,
)
from tests.fakes import FakeGateway

NEW_PASSWORD = "Green-Valley-77"
CHAT = {"channel": "telegram", "chat_id": "777"}


@pytest.fixture
def svc(engine, clock, policy, secrets):
    return build_services(engine, gateway=FakeGateway(), clock=clock, policy=policy,
                          secrets=secrets)


def audit_kinds(svc):
    with svc.uow() as uow:
        return uow.session.scalars(select(AuditEvent.kind).order_by(AuditEvent.id)).all()


def test_create_log_in_link_lock_out_and_reset(svc, clock):
    with svc.uow() as uow:
        make_enrollment(uow.session, ssn_key=svc.secrets.ssn_hash_key, full_name="José O'Neil")
        uow.commit()
    enrollment = verify_identity(svc, full_name="jose o'neil", date_of_birth=DEFAULT_DOB,
                                 ssn="123456789")
    account = create_account(svc, full_name="JOSE ONEIL", date_of_birth=DEFAULT_DOB,
                             ssn="123-45-6789", username="Jose.ONeil", password=DEFAULT_PASSWORD,
                             security_answers=DEFAULT_ANSWERS)
    assert account.enrollment_id == enrollment.id
    with pytest.raises(IdentityNotVerified):
        create_account(svc, full_name="Jose O'Neil", date_of_birth=DEFAULT_DOB,
                       ssn="123-45-6789", username="jose.two", password=DEFAULT_PASSWORD,
                       security_answers=DEFAULT_ANSWERS)

    assert log_in(svc, "jose.oneil", DEFAULT_PASSWORD).id == account.id
    link_chat(svc, **CHAT, account_id=account.id)
    assert require_member(svc, **CHAT, for_money=True) == account.id

    for _ in range(4):
        with pytest.raises(LoginFailed):
            log_in(svc, "jose.oneil", "Wrong-Password-1")
    with pytest.raises(AccountLocked):
        log_in(svc, "jose.oneil", "Wrong-Password-1")
    assert lockout_status(svc, "jose.oneil") == clock.now() + dt.timedelta(minutes=15)
    with pytest.raises(AccountLocked):
        log_in(svc, "jose.oneil", DEFAULT_PASSWORD)

    index, _ = security_question_for(svc, "jose.oneil")
    reset_password(svc, username="jose.oneil", date_of_birth=DEFAULT_DOB, ssn_last4="6789",
                   question_index=index, security_answer="REX", new_password=NEW_PASSWORD)
    assert lockout_status(svc, "jose.oneil") is None
    assert current_account_id(svc, **CHAT) is None  # the reset signed the chat out
    assert log_in(svc, "jose.oneil", NEW_PASSWORD).id == account.id
    assert login_tries_left(svc, "jose.oneil") == 5
    assert audit_kinds(svc) == [
        "account_created", "login_succeeded", "chat_linked",
        *["login_failed"] * 5, "account_locked", "login_failed",
        "password_reset", "login_succeeded",
    ]


def test_sessions_expire_and_are_kept_apart_by_channel(svc, clock, monkeypatch):
    use_fast_password_hashing(monkeypatch)
    member = make_member(svc)
    link_chat(svc, **CHAT, account_id=member.id)
    with pytest.raises(NotLoggedIn):
        require_member(svc, channel="rest", chat_id=CHAT["chat_id"])
    clock.advance(minutes=16)
    with pytest.raises(SessionExpired):
        require_member(svc, **CHAT, for_money=True)
    assert reauthenticate(svc, **CHAT, password=DEFAULT_PASSWORD) == member.id
    assert require_member(svc, **CHAT, for_money=True) == member.id


def test_wrong_resets_are_counted_from_the_database(svc, clock, monkeypatch):
    use_fast_password_hashing(monkeypatch)
    make_member(svc)
    for _ in range(5):
        with pytest.raises(IdentityNotVerified):
            reset_password(svc, username="mary.oneil", date_of_birth=DEFAULT_DOB,
                           ssn_last4="0000", question_index=1, security_answer="rex",
                           new_password=NEW_PASSWORD)
    with pytest.raises(AccountLocked):
        reset_password(svc, username="mary.oneil", date_of_birth=DEFAULT_DOB, ssn_last4="6789",
                       question_index=1, security_answer="rex", new_password=NEW_PASSWORD)
    clock.advance(minutes=15)
    reset_password(svc, username="mary.oneil", date_of_birth=DEFAULT_DOB, ssn_last4="6789",
                   question_index=1, security_answer="rex", new_password=NEW_PASSWORD)
    log_in(svc, "mary.oneil", NEW_PASSWORD)


def test_a_username_is_unique_whatever_the_case(svc, monkeypatch):
    use_fast_password_hashing(monkeypatch)
    make_member(svc, username="mary.oneil")
    with pytest.raises(UsernameUnavailable):
        make_member(svc, username="MARY.ONEIL", full_name="Mary Smith", ssn="222-33-4444")


def test_failures_at_the_same_moment_each_count(svc, monkeypatch):
    """Parallel guesses on several workers: the first failure of a username is inserted once
    and every failure is counted, so running them together buys no extra tries."""
    use_fast_password_hashing(monkeypatch)
    make_member(svc)

    def guess(number: int):
        return lambda: log_in(svc, "mary.oneil", "Wrong-Password-1", source=f"rest:g{number}")

    results = run_together(*(guess(number) for number in range(6)))
    assert all(isinstance(result, (LoginFailed, AccountLocked)) for result in results), results
    assert sum(isinstance(result, AccountLocked) for result in results) >= 1
    assert login_tries_left(svc, "mary.oneil") == 0
    with pytest.raises(AccountLocked):
        log_in(svc, "mary.oneil", DEFAULT_PASSWORD)
