"""Planning what members are told before a premium is due: bill reminders, the autopay notice a
few days before a charge, and a warning when autopay's card expires before the charge.

Planning is set-based so that 100,000 members take seconds: one query finds the open bills
within the reminder horizon with each member's settings and autopay, texts are made in Python,
and the notifications are bulk-inserted under their dedupe keys — a second run, or a second
worker, plans nothing twice. A job that did not run for some days catches up with the latest
reminder due for each bill, never with every one it missed.

No reminder for a bill that is paid (payments still settling count as paid) or that active
autopay will pay; those members get the autopay notice instead. A bill stops counting as
covered when autopay gave up on its period (a hard decline, retries used up, no usable method).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import Text, and_, cast, exists, or_, select, true
from sqlalchemy.orm import Session

from services import formatting
from services.accounts import MAX_REMINDER_DAYS
from services.autopay import MAX_DAYS_BEFORE_DUE
from services.billing_periods import (
    PERIOD_MONTHS,
    charge_window,
    next_period,
    period_containing,
    period_months,
)
from services.context import Services
from services.ledger import IN_FLIGHT, outstanding_for
from services.notice_language import buttons_in, method_name, notice_text, plan_name
from services.notice_texts import ADD_METHOD, AUTOPAY_SETTINGS, PAY_NOW, REMINDER_SETTINGS
from services.outbox import NewNotification, enqueue
from services.payment_methods import card_expired
from services.persistence.models import (
    Account,
    AutopayCharge,
    AutopayMandate,
    Invoice,
    Payment,
    PaymentMethod,
    Plan,
)

AUTOPAY_NOTICE_DAYS = 3  # the notice goes this many days before the charge
CARD_WARNING_DAYS = 14  # the expiring-card warning: early enough to add a new card
CHUNK = 5000  # members whose bills are read in one query (those with payments in flight)


def plan_reminders(svc: Services, today: dt.date, *,
                   autopay_notice_days: int = AUTOPAY_NOTICE_DAYS,
                   card_warning_days: int = CARD_WARNING_DAYS) -> int:
    """Plan today's bill reminders, autopay notices and card warnings; how many are new."""
    now = svc.now()
    with svc.uow() as uow:
        session = uow.session
        planned = [
            *_bill_reminders(session, today),
            *_autopay_heads_ups(svc, session, today, notice_days=autopay_notice_days,
                                card_days=card_warning_days),
        ]
        created = enqueue(session, planned, now=now)
        uow.commit()
    return len(created)


# --- bill reminders -------------------------------------------------------------------------


def _bill_reminders(session: Session, today: dt.date) -> Iterable[NewNotification]:
    rows = session.execute(
        select(Invoice.id, Invoice.due_date, Invoice.coverage_month,
               (Invoice.amount_cents - Invoice.paid_cents).label("open_cents"), Plan.kind,
               Account.id.label("account_id"), Account.enrollment_id, Account.language,
               cast(Account.reminder_offsets, Text).label("offsets"),
               AutopayMandate.id.label("mandate_id"), AutopayMandate.frequency,
               AutopayMandate.amount_rule, AutopayMandate.fixed_amount_cents)
        .join(Plan, Plan.id == Invoice.plan_id)
        .join(Account, Account.enrollment_id == Invoice.enrollment_id)
        .outerjoin(AutopayMandate, and_(AutopayMandate.account_id == Account.id,
                                        AutopayMandate.status == "active"))
        .where(Account.reminders_enabled.is_(True),
               Invoice.paid_cents < Invoice.amount_cents,
               Invoice.due_date >= today,
               Invoice.due_date <= today + dt.timedelta(days=MAX_REMINDER_DAYS))
    ).all()
    given_up = _periods_autopay_gave_up(session, today)
    due = []
    for row in rows:
        offset = _latest_offset_due(_offsets(row.offsets), (row.due_date - today).days)
        if offset is not None and not _autopay_covers(row, given_up):
            due.append((row, offset))
    # A payment still settling covers the oldest bills first: those are not reminded.
    paying = _accounts_paying(session)
    in_flight = _still_due(session, {row.account_id: row.enrollment_id for row, _ in due
                                     if row.account_id in paying})
    for row, offset in due:
        due_cents = in_flight.get(row.id, row.open_cents)
        if due_cents <= 0:
            continue
        language = row.language
        yield NewNotification(
            account_id=row.account_id, kind="reminder",
            dedupe_key=f"reminder:{row.account_id}:{row.id}:{offset}",
            text=notice_text(language, "reminder_today" if offset == 0 else "reminder",
                             plan=plan_name(language, row.kind),
                             amount=formatting.money(due_cents, language),
                             month=formatting.month_name(row.coverage_month, language),
                             day=formatting.short_day(row.due_date, language)),
            buttons=buttons_in(language, [PAY_NOW, REMINDER_SETTINGS]), invoice_id=row.id)


@lru_cache(maxsize=256)
def _offsets(stored: str | None) -> tuple[int, ...]:
    """Read as text and parsed once per distinct setting: most members share the default."""
    return tuple(json.loads(stored)) if stored else ()


def _latest_offset_due(offsets: tuple[int, ...], days_left: int) -> int | None:
    """The reminder whose day is the latest to have come: the offsets whose day is past were
    sent then, or are not worth sending late as well."""
    due = [offset for offset in offsets if offset >= days_left]
    return min(due) if due else None


def _autopay_covers(row, given_up: set[tuple[int, dt.date]]) -> bool:
    if row.mandate_id is None:
        return False
    if row.amount_rule == "fixed" and row.fixed_amount_cents < row.open_cents:
        return False  # autopay pays part of it: the rest still needs a reminder
    period = period_containing(row.coverage_month, row.frequency)
    return (row.mandate_id, period) not in given_up


def _periods_autopay_gave_up(session: Session, today: dt.date) -> set[tuple[int, dt.date]]:
    """(mandate, period) pairs autopay will not charge any more: declined with no retry left,
    or no usable method."""
    since = period_containing(today, "quarterly").replace(year=today.year - 1)
    return {tuple(row) for row in session.execute(
        select(AutopayCharge.mandate_id, AutopayCharge.billing_period)
        .where(AutopayCharge.billing_period >= since,
               or_(AutopayCharge.status == "failed",
                   and_(AutopayCharge.status == "declined",
                        AutopayCharge.next_attempt_on.is_(None)))))}


def _accounts_paying(session: Session) -> set[int]:
    return set(session.scalars(
        select(Payment.account_id).where(Payment.status.in_(IN_FLIGHT)).distinct()))


def _still_due(session: Session, members: dict[int, int]) -> dict[int, int]:
    """Invoice id -> cents not covered by payments in flight, for these members."""
    ids = list(members)
    return {item.invoice.id: item.due_cents
            for start in range(0, len(ids), CHUNK)
            for items in outstanding_for(
                session, {a: members[a] for a in ids[start:start + CHUNK]}).values()
            for item in items}


# --- autopay notices and expiring cards -----------------------------------------------------


class _MethodView(NamedTuple):
    """What card_expired and method_name read of a saved method."""

    id: int
    kind: str
    brand: str
    last4: str
    nickname: str | None
    exp_month: int | None
    exp_year: int | None


@dataclass(frozen=True)
class _UpcomingCharge:
    account_id: int
    mandate_id: int
    frequency: str
    amount_rule: str
    fixed_amount_cents: int | None
    method: _MethodView
    invoice_id: int  # the period's first bill
    period: dt.date
    charge_on: dt.date
    language: str | None


def _autopay_heads_ups(svc: Services, session: Session, today: dt.date, *, notice_days: int,
                       card_days: int) -> Iterable[NewNotification]:
    """The notice before each charge, or the warning that its card will have expired."""
    for charge in _upcoming_charges(svc, session, today, notice_days=notice_days,
                                    card_days=card_days):
        days_ahead = (charge.charge_on - today).days
        if card_expired(charge.method, charge.charge_on):
            if days_ahead <= card_days:
                yield _card_warning(svc, charge)
        elif days_ahead <= notice_days:
            yield _autopay_notice(svc, charge)


def _autopay_notice(svc: Services, charge: _UpcomingCharge) -> NewNotification:
    language = charge.language
    months = period_months(charge.period, charge.frequency)
    several = {"first_month": months[0], "last_month": months[-1]} if len(months) > 1 else {}
    what = notice_text(
        language, ("autopay_pays_full" if charge.amount_rule == "full_balance"
                   else "autopay_pays_fixed") + ("_months" if several else ""),
        amount_cents=charge.fixed_amount_cents, **several)
    return NewNotification(
        account_id=charge.account_id, kind="autopay_notice",
        dedupe_key=f"autopay_notice:{charge.account_id}:{charge.mandate_id}:{charge.period:%Y-%m}",
        text=notice_text(language, "autopay_notice", what=what,
                         method=_method(charge.method, language), day=charge.charge_on,
                         due=svc.policy.due_date_for(charge.period)),
        buttons=buttons_in(language, [AUTOPAY_SETTINGS]), invoice_id=charge.invoice_id)


def _card_warning(svc: Services, charge: _UpcomingCharge) -> NewNotification:
    language = charge.language
    return NewNotification(
        account_id=charge.account_id, kind="card_expiring",
        dedupe_key=(f"card_expiring:{charge.account_id}:{charge.mandate_id}:"
                    f"{charge.period:%Y-%m}:{charge.method.id}"),
        text=notice_text(language, "card_expiring", method=_method(charge.method, language),
                         day=charge.charge_on, due=svc.policy.due_date_for(charge.period)),
        buttons=buttons_in(language, [ADD_METHOD, AUTOPAY_SETTINGS, PAY_NOW]),
        invoice_id=charge.invoice_id)


def _method(method: _MethodView, language: str | None) -> str:
    return method_name(language, method.brand, method.last4, method.nickname)


def _upcoming_charges(svc: Services, session: Session, today: dt.date, *, notice_days: int,
                      card_days: int) -> list[_UpcomingCharge]:
    """Active mandates whose next charge is 1 to `notice_days` days away, or 1 to `card_days`
    days away with a card expired by then; not charged yet, with the period's first bill
    open."""
    windows = _charge_days_ahead(svc, today, max(notice_days, card_days))
    if not windows:
        return []
    expired_by = PaymentMethod.exp_year * 12 + PaymentMethod.exp_month
    conditions = [
        and_(AutopayMandate.frequency == frequency, AutopayMandate.days_before_due == days,
             Invoice.coverage_month == period,
             # Further ahead than the notice, only expiring cards matter: the rows are few.
             true() if (charge_on - today).days <= notice_days else and_(
                 PaymentMethod.kind == "card",
                 expired_by < charge_on.year * 12 + charge_on.month))
        for (frequency, days), (period, charge_on) in windows.items()]
    rows = session.execute(
        select(AutopayMandate.id, AutopayMandate.account_id, AutopayMandate.frequency,
               AutopayMandate.days_before_due, AutopayMandate.amount_rule,
               AutopayMandate.fixed_amount_cents, Invoice.id.label("invoice_id"),
               Invoice.coverage_month, PaymentMethod.id.label("method_id"), PaymentMethod.kind,
               PaymentMethod.brand, PaymentMethod.last4, PaymentMethod.nickname,
               PaymentMethod.exp_month, PaymentMethod.exp_year, Account.language)
        .join(PaymentMethod, PaymentMethod.id == AutopayMandate.method_id)
        .join(Account, Account.id == AutopayMandate.account_id)
        .join(Invoice, and_(Invoice.enrollment_id == Account.enrollment_id,
                            Invoice.paid_cents < Invoice.amount_cents))
        .where(AutopayMandate.status == "active",
               or_(*conditions),
               ~exists().where(AutopayCharge.mandate_id == AutopayMandate.id,
                               AutopayCharge.billing_period == Invoice.coverage_month))
        .order_by(AutopayMandate.id, Invoice.id)
    ).all()
    upcoming: dict[int, _UpcomingCharge] = {}
    for row in rows:
        if row.id not in upcoming:  # health and dental bills of one period: one notice
            upcoming[row.id] = _UpcomingCharge(
                account_id=row.account_id, mandate_id=row.id, frequency=row.frequency,
                amount_rule=row.amount_rule, fixed_amount_cents=row.fixed_amount_cents,
                method=_MethodView(row.method_id, row.kind, row.brand, row.last4, row.nickname,
                                   row.exp_month, row.exp_year),
                invoice_id=row.invoice_id, period=row.coverage_month,
                charge_on=windows[(row.frequency, row.days_before_due)][1],
                language=row.language)
    return list(upcoming.values())


def _charge_days_ahead(svc: Services, today: dt.date,
                       lead_days: int) -> dict[tuple[str, int], tuple[dt.date, dt.date]]:
    """For each (frequency, days before due) a mandate can have, the next period to charge and
    its charge day, where that day is 1 to `lead_days` days after today."""
    windows = {}
    for frequency in PERIOD_MONTHS:
        for days in range(MAX_DAYS_BEFORE_DUE + 1):
            period = period_containing(today, frequency)
            while (charge_on := charge_window(svc.policy, period, days)[0]) <= today:
                period = next_period(period, frequency)
            if (charge_on - today).days <= lead_days:
                windows[(frequency, days)] = (period, charge_on)
    return windows
