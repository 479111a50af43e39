"""Premium bills: issuing invoices, what a member owes and by when, and their payment history.

Bills are issued a month ahead, as the exchange mails them: on a given day, every coverage
month up to the next one has its invoice (the next month's premium is due on the 23rd of this
one). A plan's first ("binder") invoice is issued as soon as the plan exists, however far
ahead its coverage starts. Issuing is idempotent: the unique (plan, coverage month) keeps a
second run, or a second worker, from billing a month twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from services import autopay
from services.billing_periods import add_months, month_start
from services.context import Services
from services.errors import NotFound
from services.grace import GraceStatus, grace_status
from services.ledger import (
    OpenItem,
    accounts_with_credit,
    apply_credit,
    member_balance,
    open_invoices,
)
from services.payment_methods import label_of, method_label
from services.payments import recent_payments
from services.persistence.models import Account, Enrollment, Invoice, Plan

__all__ = [
    "AccountSummary", "AutopayLine", "GraceStatus", "PaymentView", "PlanLine",
    "account_summary", "invoice_state", "issue_invoices", "open_invoices", "payment_history",
]

InvoiceState = Literal["open", "partly_paid", "paid", "past_due"]


def issue_invoices(svc: Services, *, through: dt.date) -> int:
    """Issue every missing invoice up to the coverage month after `through`'s; returns how
    many were issued. Credit waiting on an account is applied to the new bills."""
    last_month = add_months(month_start(through), 1)
    try:
        return _issue(svc, last_month)
    except IntegrityError:
        # Another worker issued some of the same bills meanwhile: what is left is ours.
        return _issue(svc, last_month)


def _issue(svc: Services, last_month: dt.date) -> int:
    with svc.uow() as uow:
        session = uow.session
        # Bills are issued in order, so a plan's missing months are those after its latest.
        latest = dict(session.execute(
            select(Invoice.plan_id, func.max(Invoice.coverage_month)).group_by(Invoice.plan_id)
        ).all())
        created = 0
        for plan in session.scalars(select(Plan).order_by(Plan.id)):
            first = month_start(plan.coverage_start)
            month = add_months(latest[plan.id], 1) if plan.id in latest else first
            while month <= max(last_month, first):
                session.add(Invoice(
                    plan_id=plan.id, enrollment_id=plan.enrollment_id, coverage_month=month,
                    due_date=svc.policy.due_date_for(month),
                    amount_cents=plan.monthly_premium_cents, paid_cents=0, issued_at=svc.now(),
                ))
                created += 1
                month = add_months(month, 1)
        session.flush()
        for account in session.scalars(
                select(Account).where(Account.id.in_(accounts_with_credit(session)))):
            apply_credit(session, account.id, account.enrollment_id)
        uow.commit()
        return created


def invoice_state(invoice: Invoice, today: dt.date) -> InvoiceState:
    if invoice.open_cents == 0:
        return "paid"
    if today > invoice.due_date:
        return "past_due"
    return "partly_paid" if invoice.paid_cents > 0 else "open"


@dataclass(frozen=True)
class PlanLine:
    plan_id: int
    kind: str  # "health" or "dental": billed and paid separately
    name: str
    monthly_premium_cents: int
    balance_cents: int  # still to pay, net of payments in flight
    pending_cents: int  # covered by payments still settling
    past_due_cents: int
    next_due_date: dt.date  # of the oldest bill still to pay, else of the next bill
    # Of the newest bill still to pay that is not past due yet (the current one), if any.
    current_due_date: dt.date | None = None


@dataclass(frozen=True)
class AutopayLine:
    status: str  # "active", "paused" or "off"
    next_charge_on: dt.date | None
    frequency: str | None = None
    amount_rule: str | None = None
    fixed_amount_cents: int | None = None
    method_label: str | None = None


@dataclass(frozen=True)
class AccountSummary:
    account_id: int
    member_name: str
    subsidy_type: str
    plans: tuple[PlanLine, ...]
    total_due_cents: int
    pending_cents: int  # payments in flight, shown as "pending", not as owed
    past_due_cents: int
    credit_cents: int  # paid beyond the bills so far; applied to the next bills
    next_due_date: dt.date | None
    autopay: AutopayLine
    grace: GraceStatus | None


# The member and their plans for the summary, one row per plan in plan order (one row with
# no plan if there is none), each with its last billed month. Built once, on the tables: the
# summary is read on most turns.
_accounts, _enrollments = Account.__table__, Enrollment.__table__
_plans, _invoices = Plan.__table__, Invoice.__table__
_MEMBER_PLANS = (
    select(_accounts.c.id.label("account_id"), _enrollments.c.id.label("enrollment_id"),
           _enrollments.c.full_name, _enrollments.c.subsidy_type,
           _plans.c.id, _plans.c.kind, _plans.c.name, _plans.c.monthly_premium_cents,
           _plans.c.coverage_start,
           select(func.max(_invoices.c.coverage_month))
           .where(_invoices.c.plan_id == _plans.c.id,
                  _invoices.c.enrollment_id == _enrollments.c.id)
           .scalar_subquery().label("last_billed"))
    .select_from(_accounts.join(_enrollments, _enrollments.c.id == _accounts.c.enrollment_id)
                 .outerjoin(_plans, _plans.c.enrollment_id == _enrollments.c.id))
    .where(_accounts.c.id == bindparam("account_id"))
    .order_by(_plans.c.id)
)


def account_summary(svc: Services, account_id: int) -> AccountSummary:
    today = svc.today()
    with svc.uow() as uow:
        session = uow.session
        rows = session.execute(_MEMBER_PLANS, {"account_id": account_id}).all()
        if not rows:
            raise NotFound("I couldn't find your account. Please log in again.",
                           key="account_not_found")
        member = rows[0]
        balance = member_balance(session, account_id=member.account_id,
                                 enrollment_id=member.enrollment_id)
        items = balance.items
        plans = tuple(_plan_line(svc, plan, items, today) for plan in rows if plan.id is not None)
        owed = [line for line in plans if line.balance_cents > 0] or plans
        return AccountSummary(
            account_id=member.account_id,
            member_name=member.full_name,
            subsidy_type=member.subsidy_type,
            plans=plans,
            total_due_cents=sum(line.balance_cents for line in plans),
            pending_cents=sum(line.pending_cents for line in plans),
            past_due_cents=sum(line.past_due_cents for line in plans),
            credit_cents=balance.credit_cents,
            next_due_date=min((line.next_due_date for line in owed), default=None),
            autopay=_autopay_line(svc, session, member.account_id, today),
            grace=grace_status(svc.policy, member.subsidy_type, items, today),
        )


def _plan_line(svc: Services, plan: Row, items: list[OpenItem], today: dt.date) -> PlanLine:
    """`plan`: a row of _MEMBER_PLANS."""
    mine = [item for item in items if item.invoice.plan_id == plan.id]
    to_pay = [item for item in mine if item.due_cents > 0]
    if to_pay:
        next_due = to_pay[0].invoice.due_date
    else:
        last_billed = plan.last_billed
        next_month = add_months(last_billed, 1) if last_billed else month_start(plan.coverage_start)
        next_due = svc.policy.due_date_for(next_month)
    return PlanLine(
        plan_id=plan.id, kind=plan.kind, name=plan.name,
        monthly_premium_cents=plan.monthly_premium_cents,
        balance_cents=sum(item.due_cents for item in mine),
        pending_cents=sum(item.pending_cents for item in mine),
        past_due_cents=sum(item.due_cents for item in to_pay if item.invoice.due_date < today),
        next_due_date=next_due,
        current_due_date=max((item.invoice.due_date for item in to_pay
                              if item.invoice.due_date >= today), default=None),
    )


def _autopay_line(svc: Services, session, account_id: int, today: dt.date) -> AutopayLine:
    mandate = autopay.mandate_in_force_row(session, account_id)
    if mandate is None:
        return AutopayLine(status="off", next_charge_on=None)
    return AutopayLine(
        status=mandate.status,
        next_charge_on=autopay.next_charge_date_in(session, svc.policy, mandate, today),
        frequency=mandate.frequency,
        amount_rule=mandate.amount_rule,
        fixed_amount_cents=mandate.fixed_amount_cents,
        method_label=method_label(mandate, on=today),  # the row carries its method's columns
    )


@dataclass(frozen=True)
class PaymentView:
    payment_id: int
    date: dt.date  # when it was made, in the exchange's time zone
    amount_cents: int
    method_label: str | None
    status: str
    reference: str
    plan_kinds: tuple[str, ...]  # what it paid ("health", "dental"); empty until it succeeds
    source: str  # member | autopay | telegram
    decline_code: str | None
    # method_label's parts, for a chat that words the label in the member's language
    method_brand: str | None = None
    method_last4: str | None = None
    method_nickname: str | None = None


def payment_history(svc: Services, account_id: int, *, limit: int = 5,
                    before_id: int | None = None) -> list[PaymentView]:
    """The member's payments, newest first, without unconfirmed drafts."""
    zone = ZoneInfo(svc.policy.time_zone)
    return [
        PaymentView(
            payment_id=payment.id,
            date=(payment.confirmed_at or payment.created_at).astimezone(zone).date(),
            amount_cents=payment.amount_cents,
            method_label=label_of(payment.method_brand, payment.method_last4,
                                  payment.method_nickname) if payment.method_brand else None,
            status=payment.status,
            reference=payment.reference,
            plan_kinds=tuple(sorted(payment.plan_kinds, key=("health", "dental").index)),
            source=payment.source,
            decline_code=payment.decline_code,
            method_brand=payment.method_brand,
            method_last4=payment.method_last4,
            method_nickname=payment.method_nickname,
        )
        for payment in recent_payments(svc, account_id, limit=limit, before_id=before_id)
    ]
