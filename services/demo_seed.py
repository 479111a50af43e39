"""Demo members for a newcomer to try: `healthpay demo seed` and `healthpay demo accounts`.

The members are described in data/demo.yml. Seeding goes through the real use cases (accounts,
the hosted-page token flow for methods, autopay, payments through the sandbox gateway) so what
a newcomer sees is what the code really does; only the exchange's own records (enrollments,
plans) and old paid months are written directly, as the exchange would have them.
Seeding is idempotent: a member whose enrollment exists is left as it is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import select

from services import accounts, autopay, billing, identity, payment_methods, payments
from services.billing_periods import add_months, month_start
from services.context import Services
from services.ledger import allocate, open_invoices
from services.persistence.models import Account, Enrollment, Payment, Plan
from services.references import new_reference

DEMO_FILE = Path(__file__).resolve().parent.parent / "data" / "demo.yml"
HISTORY_MONTHS = 6  # plans started this many months ago, so there is a payment history
DEMO_BANK = ("110000000", "000123456789")  # the sandbox's test account that settles
DEMO_SECOND_CARD = "5555555555554444"  # a Mastercard test number that succeeds


def load_demo(path: Path = DEMO_FILE) -> dict:
    return yaml.safe_load(path.read_text())


@dataclass(frozen=True)
class DemoAccount:
    username: str
    situation: str
    member_id: str
    balance: str
    detail: str


def seed(svc: Services, path: Path = DEMO_FILE) -> list[str]:
    """Create the demo members that do not exist yet; returns the usernames created."""
    if not hasattr(svc.gateway, "describe"):
        raise SystemExit("Demo data needs the sandbox gateway (PAYMENT_GATEWAY=sandbox).")
    demo = load_demo(path)
    created = []
    for member in demo["members"]:
        if _enrollment_exists(svc, member["member_id"]):
            continue
        _seed_member(svc, demo, member)
        created.append(member["username"])
    if not _enrollment_exists(svc, demo["new_member"]["member_id"]):
        _create_enrollment(svc, demo["new_member"])
        _mark_paid_history(svc, demo["new_member"], account_id=None)
        created.append(demo["new_member"]["full_name"])
    return created


def _seed_member(svc: Services, demo: dict, member: dict) -> None:
    _create_enrollment(svc, member)
    account = accounts.create_account(
        svc, full_name=member["full_name"], date_of_birth=member["date_of_birth"],
        ssn=member["ssn"], username=member["username"], password=demo["password"],
        security_answers=[tuple(pair) for pair in demo["security_questions"]],
    )
    method_ids = [_add_method(svc, account.id, member["full_name"], name)
                  for name in member.get("methods", [])]
    _mark_paid_history(svc, member, account_id=account.id, method_id=method_ids[0])
    if rule := member.get("autopay"):
        autopay.enroll(svc, account.id, method_id=method_ids[rule["method"]],
                       amount_rule=rule["amount_rule"], fixed_amount_cents=rule.get("fixed"),
                       frequency=rule["frequency"], days_before_due=rule["days_before_due"])
    for key in ("declined_payment", "processing_payment"):
        if rule := member.get(key):
            _pay_what_is_due(svc, account.id, method_ids[rule["method"]])


def _create_enrollment(svc: Services, member: dict) -> None:
    start = add_months(month_start(svc.today()), -HISTORY_MONTHS)
    with svc.uow() as uow:
        enrollment = Enrollment(
            member_id=member["member_id"], full_name=member["full_name"],
            date_of_birth=member["date_of_birth"],
            ssn_hash=identity.ssn_hash(svc.secrets.ssn_hash_key,
                                       identity.normalize_ssn(member["ssn"])),
            ssn_last4=identity.normalize_ssn(member["ssn"])[-4:],
            email=member["email"], time_zone=svc.policy.time_zone,
            subsidy_type=member["subsidy_type"],
        )
        uow.session.add(enrollment)
        uow.session.flush()
        for kind, name, premium in member["plans"]:
            uow.session.add(Plan(enrollment_id=enrollment.id, kind=kind, name=name,
                                 monthly_premium_cents=premium, coverage_start=start))
        uow.commit()
    # Issue through the next due date, so every member has an upcoming bill to look at.
    billing.issue_invoices(svc, through=add_months(_next_due_month(svc), -1))


def _next_due_month(svc: Services) -> dt.date:
    """The coverage month whose premium is due next (on or after today)."""
    month = month_start(svc.today())
    while svc.policy.due_date_for(month) < svc.today():
        month = add_months(month, 1)
    return month


def _first_unpaid_month(svc: Services, unpaid_from: str) -> dt.date:
    next_due = _next_due_month(svc)
    return {
        "next_due": next_due,
        "last_due": add_months(next_due, -1),
        "grace_month_2": add_months(month_start(svc.today()), -1),
    }[unpaid_from]


def _mark_paid_history(svc: Services, member: dict, *, account_id: int | None,
                       method_id: int | None = None) -> None:
    """Pay every month before the member's first unpaid one, as past payments would have."""
    first_unpaid = _first_unpaid_month(svc, member["unpaid_from"])
    with svc.uow() as uow:
        session = uow.session
        enrollment = session.scalar(
            select(Enrollment).where(Enrollment.member_id == member["member_id"]))
        months = sorted({invoice.coverage_month
                         for invoice in open_invoices(session, enrollment.id)
                         if invoice.coverage_month < first_unpaid})
        for month in months:
            due = [invoice for invoice in open_invoices(session, enrollment.id)
                   if invoice.coverage_month == month]
            amount = sum(invoice.open_cents for invoice in due)
            if account_id is None:  # no account yet: paid by mail or phone
                for invoice in due:
                    invoice.paid_cents = invoice.amount_cents
                continue
            paid_at = dt.datetime.combine(due[0].due_date - dt.timedelta(days=3),
                                          dt.time(15, 0), tzinfo=dt.UTC)
            payment = Payment(
                account_id=account_id, reference=new_reference(),
                idempotency_key=f"hp-demo-{member['member_id']}-{month.isoformat()}",
                amount_cents=amount, method_id=method_id, status="succeeded", source="member",
                created_at=paid_at, confirmed_at=paid_at, settled_at=paid_at,
            )
            session.add(payment)
            session.flush()
            allocate(session, payment, enrollment.id, amount)
        uow.commit()


def _add_method(svc: Services, account_id: int, holder: str, name: str) -> int:
    """Add a method the way a member does: a one-time setup link, redeemed by the page."""
    gateway = svc.gateway
    if name == "bank_ok":
        saved = gateway.tokenize_bank_account(*DEMO_BANK, holder, "checking")
    elif name == "second_card":
        today = svc.today()
        saved = gateway.tokenize_card(DEMO_SECOND_CARD, 12, today.year + 3, "123", "02110",
                                      today=today)
    else:
        saved = gateway.describe(name)
    url = payment_methods.create_setup_token(svc, account_id)
    method = payment_methods.redeem_setup_token(svc, url.rsplit("/", 1)[-1], saved)
    return method.id


def _pay_what_is_due(svc: Services, account_id: int, method_id: int) -> None:
    summary = billing.account_summary(svc, account_id)
    draft = payments.create_draft(svc, account_id, amount_cents=summary.total_due_cents,
                                  method_id=method_id)
    payments.confirm_payment(svc, account_id, draft.id)


def _enrollment_exists(svc: Services, member_id: str) -> bool:
    with svc.uow() as uow:
        return uow.session.scalar(
            select(Enrollment.id).where(Enrollment.member_id == member_id)) is not None


def demo_accounts(svc: Services, path: Path = DEMO_FILE) -> list[DemoAccount]:
    """The demo logins with what each shows, read live from the database."""
    from services.money import format_cents

    rows = []
    for member in load_demo(path)["members"]:
        with svc.uow() as uow:
            account_id = uow.session.scalar(
                select(Account.id).where(Account.username == member["username"]))
        if account_id is None:
            continue
        summary = billing.account_summary(svc, account_id)
        detail = ""
        if member.get("processing_payment"):
            with svc.uow() as uow:
                ref = uow.session.scalar(
                    select(Payment.reference).where(Payment.account_id == account_id,
                                                    Payment.status == "processing"))
            detail = f"bank payment {ref} is processing" if ref else "bank payment has settled"
        elif member.get("declined_payment"):
            declined = payments.latest_declined_payment(svc, account_id)
            detail = f"declined payment {declined.reference}" if declined else ""
        rows.append(DemoAccount(member["username"], member["situation"], member["member_id"],
                                format_cents(summary.total_due_cents), detail))
    return rows
