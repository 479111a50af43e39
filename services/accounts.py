"""Member accounts: opening one after identity verification, logging in with a back-off,
resetting a forgotten password, and the member's reminder settings.

Failures that could tell a stranger something (whether a username exists, which identity detail
was wrong) all get one generic message. Accounts handed back carry their enrollment, loaded.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from services import attempt_limits, audit, passwords
from services.attempt_limits import IDENTITY, LOGIN, RESET, BackOff
from services.context import Services
from services.errors import (
    AccountLocked,
    AttemptsPaused,
    DomainError,
    IdentityAttemptsUsed,
    IdentityNotVerified,
    InvalidInput,
    LoginFailed,
    NotFound,
    UsernameUnavailable,
)
from services.identity import normalize_name, normalize_security_answer, normalize_ssn, ssn_hash
from services.persistence.models import Account, ChatLink, Enrollment
from services.secrets import keyed_hash

SECURITY_QUESTIONS: list[str] = [
    "What was the name of your first pet?",
    "What was the name of the street you grew up on?",
    "What was the make and model of your first car?",
    "What was the name of your elementary school?",
    "What is the first name of your oldest cousin?",
    "What was your childhood nickname?",
    "In what city did your parents meet?",
]

LOGIN_FAILED = "That username and password don't match. Please try again."
# One message for every refusal of a new account, whether no record matched or the record
# matched already has an account: telling them apart would confirm whose SSN it is.
IDENTITY_NOT_VERIFIED = (
    "We couldn't verify your identity with those details, so no account was created. Please "
    "check that your name, date of birth and Social Security number are exactly as on your "
    "application. If you already have an account, log in or reset your password."
)
RESET_NOT_VERIFIED = (
    "We couldn't verify those details, so your password was not changed. Please check them "
    "and try again, or call the Health Connector at {phone}."
)
USERNAME_TAKEN = "That username is taken. Please choose another one."

_USERNAME_CHARACTERS = re.compile(r"^[a-z0-9._-]+$")
USERNAME_LENGTH = (4, 32)
MAX_REMINDERS = 6
MAX_REMINDER_DAYS = 30
# Identity details (name, date of birth, SSN) may be wrong this many times per claimed person
# and per chat before each further try waits an hour, then two, four...
IDENTITY_FREE_FAILURES = 3
IDENTITY_FIRST_DELAY = dt.timedelta(hours=1)


def chat_source(channel: str, chat_id: str | int) -> str:
    """The source an attempt comes from, as the attempt counters know it."""
    return f"{channel}:{chat_id}"


# --- opening an account ---------------------------------------------------------------------


def check_username(svc: Services, username: str) -> str:
    """The username as stored (lower-case), if it follows the rules and is free."""
    name = _valid_username(username)
    with svc.uow() as uow:
        _ensure_username_free(uow.session, name)
        uow.commit()
    return name


def verify_identity(svc: Services, *, full_name: str, date_of_birth: dt.date, ssn: str,
                    source: str | None = None) -> Enrollment:
    """The one enrollment without an account that matches all three details, or
    IdentityNotVerified (one message, whatever was wrong, also when the person already has an
    account), or IdentityAttemptsUsed once this person (name and date of birth, whether an
    enrollment has them or not) or this source has failed too often: SSNs cannot be guessed
    by changing chats, and nothing tells a stranger that a record exists."""
    backoff = BackOff(IDENTITY_FREE_FAILURES, IDENTITY_FIRST_DELAY)
    subjects = _identity_subjects(svc, full_name, date_of_birth, source)
    with svc.uow() as uow:
        session = uow.session
        now = svc.now()
        if any(attempt_limits.blocked_until(session, IDENTITY, subject, now)
               for subject in subjects):
            raise IdentityAttemptsUsed(IDENTITY_NOT_VERIFIED, key="identity_not_verified")
        try:
            enrollment = _enrollment_for_new_account(svc, session, full_name, date_of_birth, ssn)
        except IdentityNotVerified:
            blocked = [attempt_limits.record_failure(session, IDENTITY, subject, now, backoff)
                       for subject in subjects]
            audit.record(session, "identity_not_verified", at=now)
            uow.commit()
            if any(blocked):
                raise IdentityAttemptsUsed(IDENTITY_NOT_VERIFIED,
                                           key="identity_not_verified") from None
            raise
        attempt_limits.clear(session, IDENTITY, subjects[0])
        uow.commit()
    return enrollment


def _identity_subjects(svc: Services, full_name: str, date_of_birth: dt.date,
                       source: str | None) -> list[str]:
    """The claimed person first (as matching reads the name), then the source, if known."""
    key = svc.secrets.session_key
    claim = attempt_limits.subject(key, "person",
                                   f"{normalize_name(full_name)}|{date_of_birth.isoformat()}")
    return [claim] + ([attempt_limits.subject(key, "source", source)] if source else [])


def create_account(svc: Services, *, full_name: str, date_of_birth: dt.date, ssn: str,
                   username: str, password: str,
                   security_answers: list[tuple[str, str]]) -> Account:
    """Open an account for a verified enrollment. `security_answers` is two
    (question from SECURITY_QUESTIONS, answer) pairs."""
    name = _valid_username(username)
    passwords.check_password_policy(password, username=name)
    (question_1, answer_1), (question_2, answer_2) = _valid_security_answers(security_answers)
    # Hashing is slow on purpose: do it before the transaction starts.
    password_hash = passwords.hash_password(password)
    answer_1_hash, answer_2_hash = passwords.hash_answer(answer_1), passwords.hash_answer(answer_2)
    with svc.uow() as uow:
        session = uow.session
        enrollment = _enrollment_for_new_account(svc, session, full_name, date_of_birth, ssn)
        _ensure_username_free(session, name)
        now = svc.now()
        account = Account(
            enrollment_id=enrollment.id,
            username=name,
            password_hash=password_hash,
            security_question_1=question_1,
            security_answer_1_hash=answer_1_hash,
            security_question_2=question_2,
            security_answer_2_hash=answer_2_hash,
            created_at=now,
        )
        session.add(account)
        session.flush()
        audit.record(session, "account_created", at=now, account_id=account.id,
                     member_id=enrollment.member_id, username=name)
        try:
            uow.commit()
        except IntegrityError:
            # Someone took the username, or opened this enrollment's account, a moment ago.
            uow.rollback()
            if _username_taken(session, name):
                raise UsernameUnavailable(USERNAME_TAKEN, key="username_taken") from None
            raise IdentityNotVerified(IDENTITY_NOT_VERIFIED, key="identity_not_verified") from None
    return account


def _valid_username(username: str) -> str:
    name = (username or "").strip().lower()
    shortest, longest = USERNAME_LENGTH
    if not shortest <= len(name) <= longest:
        raise InvalidInput(f"Your username needs {shortest} to {longest} characters.",
                           key="username_length", shortest=shortest, longest=longest)
    if not _USERNAME_CHARACTERS.match(name):
        raise InvalidInput("Your username can use only letters, numbers, periods (.), "
                           "hyphens (-) and underscores (_).", key="username_characters")
    if not "a" <= name[0] <= "z":
        raise InvalidInput("Your username must start with a letter.",
                           key="username_first_letter")
    return name


def _username_taken(session: Session, name: str) -> bool:
    return session.scalar(select(Account.id).where(Account.username == name)) is not None


def _ensure_username_free(session: Session, name: str) -> None:
    if _username_taken(session, name):
        raise UsernameUnavailable(USERNAME_TAKEN, key="username_taken")


def _valid_security_answers(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Two (question, normalized answer) pairs, or InvalidInput."""
    if len(pairs) != 2 or any(question not in SECURITY_QUESTIONS for question, _ in pairs) \
            or pairs[0][0] == pairs[1][0]:
        raise InvalidInput("Please choose two different security questions from the list.",
                           key="security_questions_different")
    answers = [(question, normalize_security_answer(answer or "")) for question, answer in pairs]
    if not all(answer for _, answer in answers):
        raise InvalidInput("Please answer both security questions.",
                           key="security_answers_missing")
    return answers


def _enrollment_for_new_account(svc: Services, session: Session, full_name: str,
                                date_of_birth: dt.date, ssn: str) -> Enrollment:
    digits = normalize_ssn(ssn)
    candidates = session.scalars(
        select(Enrollment).where(
            Enrollment.ssn_hash == ssn_hash(svc.secrets.ssn_hash_key, digits),
            Enrollment.date_of_birth == date_of_birth,
        )
    ).all()
    name = normalize_name(full_name)
    matches = [record for record in candidates if normalize_name(record.full_name) == name]
    without_account = [record for record in matches if record.account is None]
    if len(without_account) == 1:
        return without_account[0]
    raise IdentityNotVerified(IDENTITY_NOT_VERIFIED, key="identity_not_verified")


# --- logging in -----------------------------------------------------------------------------
#
# Wrong passwords are counted per username (known or not, so a lock tells nothing) and per
# source chat, in the database (services.attempt_limits): LOCKOUT_AFTER_FAILURES failures cost
# nothing, the one that reaches it starts a delay of LOCKOUT_MINUTES, and each further failure
# doubles it. A source may fail twice as often as a username before its own delay starts, since
# one chat may be helping several people.


def login_backoff(svc: Services) -> BackOff:
    return BackOff(svc.config.lockout_after_failures,
                   dt.timedelta(minutes=svc.config.lockout_minutes))


def source_backoff(svc: Services) -> BackOff:
    return BackOff(2 * svc.config.lockout_after_failures,
                   dt.timedelta(minutes=svc.config.lockout_minutes))


def log_in(svc: Services, username: str, password: str, *, source: str | None = None) -> Account:
    """The account, or LoginFailed (the same for an unknown username and a wrong password),
    AccountLocked while the username waits out a delay (an unknown one alike), or
    AttemptsPaused while the source does. `source` is where the attempt comes from
    (chat_source)."""
    with svc.uow() as uow:
        account = _account_by_username(uow.session, username, for_update=True)
        failure = register_password_attempt(svc, uow.session, account, password,
                                            username=username, source=source)
        uow.commit()
    if failure is not None:
        raise failure
    return account


def register_password_attempt(svc: Services, session: Session, account: Account | None,
                              password: str, *, username: str, source: str | None = None,
                              own_chat: bool = False, **audit_detail) -> DomainError | None:
    """Check `password` for `account` (None: `username` is unknown) under the back-off rules
    and record the outcome in `session`. Returns None when it is right; otherwise the error to
    raise after the caller commits, since the failure count must outlive the failed attempt.

    `own_chat`: the attempt comes from a chat logged in to this account (a password
    re-entry). The username's delay does not stop it, only the chat's own: nobody can keep a
    member out of their own chat by guessing at their username elsewhere."""
    now = svc.now()
    user = _username_subject(svc, username)
    origin = _source_subject(svc, source)
    account_id = account.id if account is not None else None
    paused_until = origin and attempt_limits.blocked_until(session, LOGIN, origin, now)
    locked_until = None if own_chat else attempt_limits.blocked_until(session, LOGIN, user, now)
    if paused_until or locked_until:
        audit.record(session, "login_failed", at=now, account_id=account_id, reason="waiting",
                     **audit_detail)
        return _paused(svc, paused_until) if paused_until else _locked(svc, locked_until)
    # An unknown username spends the time a real check takes: timing tells nothing either.
    if not passwords.verify_password(account.password_hash if account else passwords.DUMMY_HASH,
                                     password) or account is None:
        locked_until = attempt_limits.record_failure(session, LOGIN, user, now,
                                                     login_backoff(svc))
        # A chat re-entering its own account's password gets a username's allowance, not a
        # shared chat's: that is who it claims to be.
        paused_until = origin and attempt_limits.record_failure(
            session, LOGIN, origin, now, login_backoff(svc) if own_chat else source_backoff(svc))
        audit.record(session, "login_failed", at=now, account_id=account_id,
                     reason="unknown_username" if account is None else "wrong_password",
                     **audit_detail)
        if locked_until and not own_chat:
            audit.record(session, "account_locked", at=now, account_id=account_id,
                         until=locked_until.isoformat(), **audit_detail)
            return _locked(svc, locked_until)
        return _paused(svc, paused_until) if paused_until \
            else LoginFailed(LOGIN_FAILED, key="login_failed")
    attempt_limits.clear(session, LOGIN, user)
    if origin:
        attempt_limits.clear(session, LOGIN, origin)
    account.last_login_at = now
    if passwords.needs_rehash(account.password_hash):
        account.password_hash = passwords.hash_password(password)
    audit.record(session, "login_succeeded", at=now, account_id=account.id, **audit_detail)
    return None


def lockout_status(svc: Services, username: str) -> dt.datetime | None:
    """When the username's log-in delay ends, or None if it may log in now (whether or not
    the username exists)."""
    with svc.uow() as uow:
        return attempt_limits.blocked_until(uow.session, LOGIN, _username_subject(svc, username),
                                            svc.now())


def login_tries_left(svc: Services, username: str, *, source: str | None = None,
                     own_chat: bool = False) -> int:
    """Wrong passwords this username (and source) may still make before a delay starts, so a
    chat can warn the member before their last free try. `own_chat`: as for a password
    re-entry in a chat logged in to the account (register_password_attempt), where only the
    chat's own count matters."""
    now = svc.now()
    with svc.uow() as uow:
        session = uow.session
        counts = [] if own_chat else [attempt_limits.tries_left(
            session, LOGIN, _username_subject(svc, username), now, login_backoff(svc))]
        if source:
            counts.append(attempt_limits.tries_left(
                session, LOGIN, _source_subject(svc, source), now,
                login_backoff(svc) if own_chat else source_backoff(svc)))
    return min(counts, default=svc.config.lockout_after_failures)


def _locked(svc: Services, until: dt.datetime) -> AccountLocked:
    return AccountLocked(
        "For your security, logging in to this account is paused after too many tries. You "
        f"can try again after {_member_time(svc, until)}, or reset your password.",
        until, key="login_locked", until_time=_exchange_time(svc, until),
    )


def _paused(svc: Services, until: dt.datetime) -> AttemptsPaused:
    return AttemptsPaused(
        "For your security, logging in from this chat is paused after too many tries. You can "
        f"try again after {_member_time(svc, until)}, or reset your password.",
        until, key="login_paused", until_time=_exchange_time(svc, until),
    )


def _member_time(svc: Services, at: dt.datetime) -> str:
    local = at.astimezone(ZoneInfo(svc.policy.time_zone))
    return f"{local:%I:%M %p}".lstrip("0") + f" {local:%Z}"


def _exchange_time(svc: Services, at: dt.datetime) -> dt.datetime:
    """`at` in the exchange's time zone: an error's `*_time` value reads as this clock time in
    the member's language (services/error_texts.py)."""
    return at.astimezone(ZoneInfo(svc.policy.time_zone))


def _username_subject(svc: Services, username: str) -> str:
    return attempt_limits.subject(svc.secrets.session_key, "user",
                                  (username or "").strip().lower())


def _source_subject(svc: Services, source: str | None) -> str | None:
    return attempt_limits.subject(svc.secrets.session_key, "source", source) if source else None


def _account_by_username(session: Session, username: str, *,
                         for_update: bool = False) -> Account | None:
    query = (select(Account).where(Account.username == (username or "").strip().lower())
             .options(selectinload(Account.enrollment)))
    return session.scalar(query.with_for_update() if for_update else query)


# --- a forgotten password -------------------------------------------------------------------


def security_question_for(svc: Services, username: str) -> tuple[int, str]:
    """(question_index, question) to ask before a reset: always the account's first question,
    so asking again never offers an easier one. An unknown username is asked a question all
    the same, chosen by a keyed hash of the username: always the same one for it, so asking
    twice tells nothing either; reset_password then fails generically."""
    with svc.uow() as uow:
        account = _account_by_username(uow.session, username)
        uow.commit()
    if account is not None:
        return 1, account.security_question_1
    name = (username or "").strip().lower()
    pick = int(keyed_hash(svc.secrets.session_key, f"question:{name}"), 16)
    return 1, SECURITY_QUESTIONS[pick % len(SECURITY_QUESTIONS)]


def reset_password(svc: Services, *, username: str, date_of_birth: dt.date, ssn_last4: str,
                   question_index: int, security_answer: str, new_password: str,
                   source: str | None = None) -> int:
    """Set a new password once date of birth, SSN last four and the answer to question
    `question_index` (1 or 2) all match; the account's id. A log-in delay does not stop a
    reset (identity is proved another way) and a reset ends it. Wrong details are counted per
    username and per source like passwords, so the last four cannot be guessed one by one.
    Signs every chat out of the account, since whoever knew the old password may be logged in
    somewhere."""
    last4 = (ssn_last4 or "").strip()
    if not re.fullmatch(r"[0-9]{4}", last4):
        raise InvalidInput("Please type the last 4 digits of your Social Security number.",
                           key="ssn_last4_needed")
    passwords.check_password_policy(new_password, username=(username or "").strip().lower())
    user, origin = _username_subject(svc, username), _source_subject(svc, source)
    limits = [(user, login_backoff(svc))] + ([(origin, source_backoff(svc))] if origin else [])
    with svc.uow() as uow:
        session = uow.session
        now = svc.now()
        waits = [until for subject, _ in limits
                 if (until := attempt_limits.blocked_until(session, RESET, subject, now))]
        if waits:
            raise AccountLocked(
                "For your security, password reset is paused after too many tries. You can try "
                f"again after {_member_time(svc, max(waits))}, or call the Health Connector "
                f"at {svc.policy.phone}.",
                max(waits), key="reset_paused", until_time=_exchange_time(svc, max(waits)),
                phone=svc.policy.phone,
            )
        account = _account_by_username(session, username, for_update=True)
        if not _reset_details_match(account, date_of_birth, last4, question_index,
                                    security_answer):
            for subject, backoff in limits:
                attempt_limits.record_failure(session, RESET, subject, now, backoff)
            audit.record(session, "password_reset_failed", at=now,
                         account_id=account.id if account else None)
            uow.commit()
            raise IdentityNotVerified(RESET_NOT_VERIFIED.format(phone=svc.policy.phone),
                                      key="reset_not_verified", phone=svc.policy.phone)
        account.password_hash = passwords.hash_password(new_password)
        for subject, _ in limits:
            attempt_limits.clear(session, RESET, subject)
            attempt_limits.clear(session, LOGIN, subject)
        signed_out = session.execute(delete(ChatLink).where(ChatLink.account_id == account.id))
        audit.record(session, "password_reset", at=now, account_id=account.id,
                     chats_signed_out=signed_out.rowcount)
        uow.commit()
        return account.id


def _reset_details_match(account: Account | None, date_of_birth: dt.date, last4: str,
                         question_index: int, answer: str) -> bool:
    if account is None:
        passwords.verify_password(passwords.DUMMY_HASH, answer)  # same time as a real check
        return False
    answer_hash = {1: account.security_answer_1_hash,
                   2: account.security_answer_2_hash}.get(question_index, passwords.DUMMY_HASH)
    # Every detail is checked, whichever is wrong, so timing does not point at one.
    answer_ok = passwords.verify_answer(answer_hash, answer or "")
    last4_ok = hmac.compare_digest(account.enrollment.ssn_last4, last4)
    return answer_ok and last4_ok and account.enrollment.date_of_birth == date_of_birth


# --- settings and look-ups ------------------------------------------------------------------


def update_reminder_settings(svc: Services, account_id: int, *, enabled: bool | None = None,
                             offsets: list[int] | None = None,
                             quiet_hours: tuple[int, int] | None = None) -> Account:
    """Change what is given; `offsets` are days before the due date (0: on the day),
    `quiet_hours` is (start, end) local hours during which no reminder is sent."""
    changes: dict = {}
    if enabled is not None:
        changes["enabled"] = bool(enabled)
    if offsets is not None:
        changes["offsets"] = _valid_reminder_offsets(offsets)
    if quiet_hours is not None:
        changes["quiet_hours"] = list(_valid_quiet_hours(quiet_hours))
    with svc.uow() as uow:
        account = _get(uow.session, account_id)
        if "enabled" in changes:
            account.reminders_enabled = changes["enabled"]
        if "offsets" in changes:
            account.reminder_offsets = changes["offsets"]
        if "quiet_hours" in changes:
            account.quiet_hours_start, account.quiet_hours_end = changes["quiet_hours"]
        audit.record(uow.session, "reminder_settings_changed", at=svc.now(),
                     account_id=account.id, **changes)
        uow.commit()
    return account


def _valid_reminder_offsets(offsets: list[int]) -> list[int]:
    if not offsets:
        raise InvalidInput("Choose at least one day for reminders, or turn reminders off.",
                           key="reminders_none_chosen")
    if len(offsets) > MAX_REMINDERS:
        raise InvalidInput(f"You can have at most {MAX_REMINDERS} reminders.",
                           key="reminders_too_many", most=MAX_REMINDERS)
    if any(not _is_whole(days) or not 0 <= days <= MAX_REMINDER_DAYS for days in offsets):
        raise InvalidInput(f"Reminders can be from 0 to {MAX_REMINDER_DAYS} days before the "
                           "due date (0 is the due date itself).",
                           key="reminder_days_range", most=MAX_REMINDER_DAYS)
    if len(set(offsets)) != len(offsets):
        raise InvalidInput("Each reminder day can be chosen only once.",
                           key="reminder_days_repeated")
    return sorted(offsets, reverse=True)


def _valid_quiet_hours(quiet_hours: tuple[int, int]) -> tuple[int, int]:
    start, end = quiet_hours
    if not all(_is_whole(hour) and 0 <= hour <= 23 for hour in (start, end)):
        raise InvalidInput("Quiet hours are whole hours from 0 (midnight) to 23 (11 PM).",
                           key="quiet_hours_range")
    if start == end:
        raise InvalidInput("Quiet hours need a different start and end hour.",
                           key="quiet_hours_same")
    return start, end


def _is_whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def get_account(svc: Services, account_id: int) -> Account:
    # A read: closing the unit of work ends the transaction and leaves the account loaded.
    with svc.uow() as uow:
        return _get(uow.session, account_id)


def _get(session: Session, account_id: int) -> Account:
    # With its enrollment in the same statement.
    account = session.get(Account, account_id, options=[joinedload(Account.enrollment)])
    if account is None:
        raise NotFound("We couldn't find that account.", key="that_account_not_found")
    return account
