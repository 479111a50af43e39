"""Builders for tests: enrollments (with plans) as the exchange has them, and members with an
account made the way a member makes one.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from sqlalchemy.orm import Session

from services import passwords
from services.accounts import SECURITY_QUESTIONS, create_account
from services.context import Services
from services.identity import normalize_ssn, ssn_hash
from services.persistence.models import Account, Enrollment, Invoice, PaymentMethod, Plan

DEFAULT_NAME = "Mary O'Neil"
DEFAULT_DOB = dt.date(1985, 3, 14)
DEFAULT_SSN = "123-45-6789"
DEFAULT_PLANS = [("health", "Silver Health Plan", 41250)]
DEFAULT_PASSWORD = "Blue-Harbor-42"
DEFAULT_ANSWERS = [(SECURITY_QUESTIONS[0], "Rex"), (SECURITY_QUESTIONS[1], "Elm Street")]

_member_ids = itertools.count(1)


def make_enrollment(
    session: Session,
    *,
    ssn_key: bytes,
    member_id: str | None = None,
    full_name: str = DEFAULT_NAME,
    date_of_birth: dt.date = DEFAULT_DOB,
    ssn: str = DEFAULT_SSN,
    email: str = "member@example.test",
    subsidy_type: str = "tax_credit",
    time_zone: str = "America/New_York",
    plans: list[tuple[str, str, int]] | None = None,
    coverage_start: dt.date = dt.date(2026, 1, 1),
) -> Enrollment:
    """An enrollment whose SSN is hashed with `ssn_key` (pass `secrets.ssn_hash_key`), with
    plans given as (kind, name, monthly premium in cents); DEFAULT_PLANS when not given.
    Added and flushed, not committed."""
    digits = normalize_ssn(ssn)
    enrollment = Enrollment(
        member_id=member_id or f"{100_000_000_000 + next(_member_ids):012d}",
        full_name=full_name,
        date_of_birth=date_of_birth,
        ssn_hash=ssn_hash(ssn_key, digits),
        ssn_last4=digits[-4:],
        email=email,
        time_zone=time_zone,
        subsidy_type=subsidy_type,
    )
    for kind, name, premium_cents in DEFAULT_PLANS if plans is None else plans:
        enrollment.plans.append(
            Plan(kind=kind, name=name, monthly_premium_cents=premium_cents,
                 coverage_start=coverage_start)
        )
    session.add(enrollment)
    session.flush()
    return enrollment


def make_member(
    svc: Services,
    *,
    username: str = "mary.oneil",
    password: str = DEFAULT_PASSWORD,
    security_answers: list[tuple[str, str]] | None = None,
    **enrollment_fields,
) -> Account:
    """An enrollment (committed) and its account, opened through accounts.create_account.
    `enrollment_fields` are make_enrollment's keyword arguments."""
    with svc.uow() as uow:
        enrollment = make_enrollment(uow.session, ssn_key=svc.secrets.ssn_hash_key,
                                     **enrollment_fields)
        uow.commit()
    return create_account(
        svc,
        full_name=enrollment.full_name,
        date_of_birth=enrollment.date_of_birth,
        ssn=enrollment_fields.get("ssn", DEFAULT_SSN),
        username=username,
        password=password,
        security_answers=security_answers or DEFAULT_ANSWERS,
    )


def use_fast_password_hashing(monkeypatch) -> None:
    """Cheap argon2id parameters for one test (the real ones take ~150 ms a hash), put back
    afterwards by `monkeypatch`."""
    monkeypatch.setattr(passwords, "_hasher", passwords._hasher)
    monkeypatch.setattr(passwords, "DUMMY_HASH", passwords.DUMMY_HASH)
    passwords.configure_hashing(time_cost=1, memory_cost_kib=64, parallelism=1)


# --- billing and payment records, written straight to the session -------------------------

_usernames = itertools.count(1)
TEST_NOW = dt.datetime(2026, 11, 17, 15, 0, tzinfo=dt.UTC)


def make_account(session: Session, enrollment: Enrollment, *, username: str | None = None,
                 gateway_customer_id: str | None = None) -> Account:
    """An account for `enrollment` without the cost of real password hashing; it cannot log
    in (use make_member for that)."""
    account = Account(
        enrollment_id=enrollment.id,
        username=username or f"member{next(_usernames)}",
        password_hash="not-a-password-hash",
        security_question_1=SECURITY_QUESTIONS[0],
        security_answer_1_hash="not-a-hash",
        security_question_2=SECURITY_QUESTIONS[1],
        security_answer_2_hash="not-a-hash",
        gateway_customer_id=gateway_customer_id,
        created_at=TEST_NOW,
    )
    session.add(account)
    session.flush()
    return account


def make_method(session: Session, account: Account, *, token: str = "pm_card_visa",
                kind: str = "card", brand: str = "Visa", last4: str = "4242",
                exp_month: int | None = 12, exp_year: int | None = 2030,
                is_default: bool = False) -> PaymentMethod:
    """A saved method; bank accounts get no expiry."""
    if kind == "bank_account":
        exp_month = exp_year = None
    method = PaymentMethod(
        account_id=account.id, gateway_token=token, kind=kind, brand=brand, last4=last4,
        exp_month=exp_month, exp_year=exp_year, is_default=is_default, created_at=TEST_NOW,
    )
    session.add(method)
    session.flush()
    return method


def make_invoice(session: Session, plan: Plan, coverage_month: dt.date, *,
                 due_date: dt.date | None = None, amount_cents: int | None = None,
                 paid_cents: int = 0) -> Invoice:
    """An invoice for one coverage month, due on the 23rd of the month before unless given."""
    if due_date is None:
        previous = coverage_month.replace(day=1) - dt.timedelta(days=1)
        due_date = previous.replace(day=23)
    invoice = Invoice(
        plan_id=plan.id, enrollment_id=plan.enrollment_id, coverage_month=coverage_month,
        due_date=due_date,
        amount_cents=plan.monthly_premium_cents if amount_cents is None else amount_cents,
        paid_cents=paid_cents, issued_at=TEST_NOW,
    )
    session.add(invoice)
    session.flush()
    return invoice


@dataclass(frozen=True)
class PayingMember:
    account_id: int
    enrollment_id: int
    plan_ids: dict[str, int]  # by kind: "health", "dental"
    method_ids: dict[str, int]  # by gateway token


BANK_TOKEN_PREFIXES = ("pm_bank", "pm_usBankAccount")


def make_paying_member(svc: Services, *, subsidy_type: str = "tax_credit",
                       plans: list[tuple[str, str, int]] | None = None,
                       coverage_start: dt.date = dt.date(2026, 11, 1),
                       methods: tuple[str, ...] = ("pm_card_visa",),
                       card_expiry: tuple[int, int] = (12, 2030)) -> PayingMember:
    """An enrollment, its account and saved methods (given by gateway token; tokens in
    starting with BANK_TOKEN_PREFIXES are bank accounts), committed; invoices are left to the
    test."""
    with svc.uow() as uow:
        session = uow.session
        enrollment = make_enrollment(session, ssn_key=svc.secrets.ssn_hash_key,
                                     subsidy_type=subsidy_type, plans=plans,
                                     coverage_start=coverage_start)
        account = make_account(session, enrollment)
        method_ids = {}
        for number, token in enumerate(methods):
            kind = "bank_account" if token.startswith(BANK_TOKEN_PREFIXES) else "card"
            method_ids[token] = make_method(
                session, account, token=token, kind=kind,
                brand="Checking" if kind == "bank_account" else "Visa",
                last4=f"{4242 + number:04d}", exp_month=card_expiry[0],
                exp_year=card_expiry[1]).id
        uow.commit()
        return PayingMember(account.id, enrollment.id,
                            {plan.kind: plan.id for plan in enrollment.plans}, method_ids)
