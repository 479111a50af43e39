"""Member accounts: opening one after identity verification, logging in with a lock-out,
resetting a forgotten password, and the member's reminder settings.

Failures that could tell a stranger something (whether a username exists, which identity detail
was wrong) all get one generic message. Accounts handed back carry their enrollment, loaded.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from services import audit, passwords
from services.context import Services
from services.errors import (
    AccountLocked,
    DomainError,
    IdentityNotVerified,
    InvalidInput,
    LoginFailed,
    NotFound,
    UsernameUnavailable,
)
from services.identity import normalize_name, normalize_security_answer, normalize_ssn, ssn_hash
from services.persistence.models import Account, AuditEvent, ChatLink, Enrollment

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
IDENTITY_NOT_VERIFIED = (
    "We couldn't verify your identity with those details. Please check that your name, date "
    "of birth and Social Security number are exactly as on your application, and try again."
)
ACCOUNT_NOT_CREATED = (
    "We couldn't create an account with those details. If you already have one, log in or "
    "reset your password."
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


# --- opening an account ---------------------------------------------------------------------


def check_username(svc: Services, username: str) -> str:
    """The username as stored (lower-case), if it follows the rules and is free."""
    name = _valid_username(username)
    with svc.uow() as uow:
        _ensure_username_free(uow.session, name)
        uow.commit()
    return name


def verify_identity(svc: Services, *, full_name: str, date_of_birth: dt.date,
                    ssn: str) -> Enrollment:
    """The one enrollment without an account that matches all three details."""
    with svc.uow() as uow:
        enrollment = _enrollment_for_new_account(svc, uow.session, full_name, date_of_birth, ssn)
        uow.commit()
    return enrollment


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
            failed_logins=0,
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
                raise UsernameUnavailable(USERNAME_TAKEN) from None
            raise IdentityNotVerified(ACCOUNT_NOT_CREATED) from None
    return account


def _valid_username(username: str) -> str:
    name = (username or "").strip().lower()
    shortest, longest = USERNAME_LENGTH
    if not shortest <= len(name) <= longest:
        raise InvalidInput(f"Your username needs {shortest} to {longest} characters.")
    if not _USERNAME_CHARACTERS.match(name):
        raise InvalidInput("Your username can use only letters, numbers, periods (.), "
                           "hyphens (-) and underscores (_).")
    if not "a" <= name[0] <= "z":
        raise InvalidInput("Your username must start with a letter.")
    return name


def _username_taken(session: Session, name: str) -> bool:
    return session.scalar(select(Account.id).where(Account.username == name)) is not None


def _ensure_username_free(session: Session, name: str) -> None:
    if _username_taken(session, name):
        raise UsernameUnavailable(USERNAME_TAKEN)


def _valid_security_answers(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Two (question, normalized answer) pairs, or InvalidInput."""
    if len(pairs) != 2 or any(question not in SECURITY_QUESTIONS for question, _ in pairs) \
            or pairs[0][0] == pairs[1][0]:
        raise InvalidInput("Please choose two different security questions from the list.")
    answers = [(question, normalize_security_answer(answer or "")) for question, answer in pairs]
    if not all(answer for _, answer in answers):
        raise InvalidInput("Please answer both security questions.")
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
    if matches and not without_account:
        raise IdentityNotVerified(ACCOUNT_NOT_CREATED)
    raise IdentityNotVerified(IDENTITY_NOT_VERIFIED)


# --- logging in -----------------------------------------------------------------------------


def log_in(svc: Services, username: str, password: str) -> Account:
    """The account, or LoginFailed (the same for an unknown username and a wrong password) or
    AccountLocked. Locking does tell a stranger the username exists; the lock is what stops them
    guessing further, and a member must be told why their right password is refused."""
    with svc.uow() as uow:
        account = _account_by_username(uow.session, username, for_update=True)
        failure = register_password_attempt(svc, uow.session, account, password)
        uow.commit()
    if failure is not None:
        raise failure
    return account


def register_password_attempt(svc: Services, session: Session, account: Account | None,
                              password: str, **audit_detail) -> DomainError | None:
    """Check `password` for `account` (None: an unknown username) under the lock-out rules and
    record the outcome in `session`. Returns None when it is right; otherwise the error to raise
    after the caller commits, since the failure count must outlive the failed attempt."""
    now = svc.now()
    if account is None:
        # Spend the time a real check takes, so timing does not tell which usernames exist.
        passwords.verify_password(passwords.DUMMY_HASH, password)
        audit.record(session, "login_failed", at=now, reason="unknown_username", **audit_detail)
        return LoginFailed(LOGIN_FAILED)
    if account.locked_until is not None:
        if now < account.locked_until:
            audit.record(session, "login_failed", at=now, account_id=account.id,
                         reason="locked", **audit_detail)
            return _locked(svc, account.locked_until)
        account.locked_until = None
        account.failed_logins = 0
    if not passwords.verify_password(account.password_hash, password):
        account.failed_logins += 1
        audit.record(session, "login_failed", at=now, account_id=account.id,
                     reason="wrong_password", failures=account.failed_logins, **audit_detail)
        if account.failed_logins < svc.config.lockout_after_failures:
            return LoginFailed(LOGIN_FAILED)
        account.locked_until = now + dt.timedelta(minutes=svc.config.lockout_minutes)
        audit.record(session, "account_locked", at=now, account_id=account.id,
                     until=account.locked_until.isoformat(), **audit_detail)
        return _locked(svc, account.locked_until)
    account.failed_logins = 0
    account.last_login_at = now
    if passwords.needs_rehash(account.password_hash):
        account.password_hash = passwords.hash_password(password)
    audit.record(session, "login_succeeded", at=now, account_id=account.id, **audit_detail)
    return None


def lockout_status(svc: Services, username: str) -> dt.datetime | None:
    """When the account's lock-out ends, or None if it is not locked (or does not exist)."""
    with svc.uow() as uow:
        account = _account_by_username(uow.session, username)
        uow.commit()
    if account is None or account.locked_until is None or svc.now() >= account.locked_until:
        return None
    return account.locked_until


def _locked(svc: Services, until: dt.datetime) -> AccountLocked:
    return AccountLocked(
        "For your security, your account is locked after too many tries. You can try again "
        f"after {_member_time(svc, until)}, or reset your password.",
        until,
    )


def _member_time(svc: Services, at: dt.datetime) -> str:
    local = at.astimezone(ZoneInfo(svc.policy.time_zone))
    return f"{local:%I:%M %p}".lstrip("0") + f" {local:%Z}"


def _account_by_username(session: Session, username: str, *,
                         for_update: bool = False) -> Account | None:
    query = (select(Account).where(Account.username == (username or "").strip().lower())
             .options(selectinload(Account.enrollment)))
    return session.scalar(query.with_for_update() if for_update else query)


# --- a forgotten password -------------------------------------------------------------------


def security_question_for(svc: Services, username: str) -> tuple[int, str] | None:
    """(question_index, question) to ask before a reset: always the account's first question,
    so asking again never offers an easier one. None for an unknown username — callers must
    still ask a question (e.g. SECURITY_QUESTIONS[0]) and let reset_password fail generically,
    or the reset flow would tell strangers which usernames exist."""
    with svc.uow() as uow:
        account = _account_by_username(uow.session, username)
        uow.commit()
    return None if account is None else (1, account.security_question_1)


def reset_password(svc: Services, *, username: str, date_of_birth: dt.date, ssn_last4: str,
                   question_index: int, security_answer: str, new_password: str) -> None:
    """Set a new password once date of birth, SSN last four and the answer to question
    `question_index` (1 or 2) all match. Clears any lock-out, and signs every chat out of the
    account, since whoever knew the old password may be logged in somewhere."""
    last4 = (ssn_last4 or "").strip()
    if not re.fullmatch(r"[0-9]{4}", last4):
        raise InvalidInput("Please type the last 4 digits of your Social Security number.")
    passwords.check_password_policy(new_password, username=(username or "").strip().lower())
    with svc.uow() as uow:
        session = uow.session
        now = svc.now()
        account = _account_by_username(session, username, for_update=True)
        paused_until = _resets_paused_until(svc, session, account, now)
        if paused_until is not None:
            raise AccountLocked(
                "For your security, password reset is paused after too many tries. You can try "
                f"again after {_member_time(svc, paused_until)}, or call the Health Connector "
                f"at {svc.policy.phone}.",
                paused_until,
            )
        if not _reset_details_match(account, date_of_birth, last4, question_index,
                                    security_answer):
            audit.record(session, "password_reset_failed", at=now,
                         account_id=account.id if account else None)
            uow.commit()
            raise IdentityNotVerified(RESET_NOT_VERIFIED.format(phone=svc.policy.phone))
        account.password_hash = passwords.hash_password(new_password)
        account.failed_logins = 0
        account.locked_until = None
        signed_out = session.execute(delete(ChatLink).where(ChatLink.account_id == account.id))
        audit.record(session, "password_reset", at=now, account_id=account.id,
                     chats_signed_out=signed_out.rowcount)
        uow.commit()


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


def _resets_paused_until(svc: Services, session: Session, account: Account | None,
                         now: dt.datetime) -> dt.datetime | None:
    """Wrong reset attempts are limited like logins: at most `lockout_after_failures` within
    any `lockout_minutes` since the last successful reset, or SSN last four digits could be
    guessed one by one."""
    if account is None:
        return None
    window = dt.timedelta(minutes=svc.config.lockout_minutes)
    last_reset = session.scalar(
        select(func.max(AuditEvent.at)).where(
            AuditEvent.account_id == account.id, AuditEvent.kind == "password_reset"
        )
    )
    since = max(now - window, last_reset) if last_reset else now - window
    failures = session.scalars(
        select(AuditEvent.at)
        .where(AuditEvent.account_id == account.id, AuditEvent.kind == "password_reset_failed",
               AuditEvent.at > since)
        .order_by(AuditEvent.at)
    ).all()
    limit = svc.config.lockout_after_failures
    return failures[-limit] + window if len(failures) >= limit else None


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
        raise InvalidInput("Choose at least one day for reminders, or turn reminders off.")
    if len(offsets) > MAX_REMINDERS:
        raise InvalidInput(f"You can have at most {MAX_REMINDERS} reminders.")
    if any(not _is_whole(days) or not 0 <= days <= MAX_REMINDER_DAYS for days in offsets):
        raise InvalidInput(f"Reminders can be from 0 to {MAX_REMINDER_DAYS} days before the "
                           "due date (0 is the due date itself).")
    if len(set(offsets)) != len(offsets):
        raise InvalidInput("Each reminder day can be chosen only once.")
    return sorted(offsets, reverse=True)


def _valid_quiet_hours(quiet_hours: tuple[int, int]) -> tuple[int, int]:
    start, end = quiet_hours
    if not all(_is_whole(hour) and 0 <= hour <= 23 for hour in (start, end)):
        raise InvalidInput("Quiet hours are whole hours from 0 (midnight) to 23 (11 PM).")
    if start == end:
        raise InvalidInput("Quiet hours need a different start and end hour.")
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
        raise NotFound("We couldn't find that account.")
    return account
