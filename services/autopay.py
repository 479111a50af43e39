"""Autopay: a member's standing instruction to pay each bill from a saved method.

A mandate says which method, how much (the full balance, or a fixed amount capped at what is
owed), how often (monthly, or quarterly: January, April, July and October, three months at a
time) and how many days before the due date to charge. One mandate is in force (active or
paused) per account, held by a partial unique index. Charging lives in autopay_charges.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, literal, select
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services import audit
from services.account_lock import lock_account
from services.autopay_charges import AutopayResult, charge_autopay_due
from services.billing_periods import PERIOD_MONTHS, charge_window, next_period, period_containing
from services.context import Services
from services.detached import detached
from services.errors import InvalidAmount, InvalidInput, NotAllowed, NotFound
from services.money import check_amount, format_cents
from services.payment_methods import card_expired, get_chargeable_method
from services.persistence.models import AutopayCharge, AutopayMandate, Payment, PaymentMethod
from services.policy import ExchangePolicy

__all__ = [
    "AutopayResult", "cancel", "card_expires_before_next_charge", "change",
    "charge_autopay_due", "enroll", "get_mandate", "mandate_in_force", "mandate_in_force_row",
    "next_charge_date", "next_charge_date_in", "pause", "resume",
]

AMOUNT_RULES = ("full_balance", "fixed")
MAX_DAYS_BEFORE_DUE = 20
IN_FORCE = ("active", "paused")
NO_AUTOPAY = "You don't have autopay set up."
CHARGING_NOW = ("Autopay is paying your bill right now ({amount}, reference {reference}), so I "
                "can't stop it. Please try again in a minute, once that payment has gone through.")
ALREADY_ENROLLED = ("You already have autopay set up. You can change, pause or cancel it "
                    "instead.")

# The balance shows autopay on most turns: its reads are built once, on the tables (no ORM),
# with the statuses as fixed parameters (a tuple would be expanded anew on every execution).
_mandates, _methods = AutopayMandate.__table__, PaymentMethod.__table__
_charges = AutopayCharge.__table__
_MANDATE_IN_FORCE_ROW = (
    select(_mandates.c.id, _mandates.c.status, _mandates.c.amount_rule,
           _mandates.c.fixed_amount_cents, _mandates.c.frequency, _mandates.c.days_before_due,
           _methods.c.kind, _methods.c.brand, _methods.c.last4, _methods.c.nickname,
           _methods.c.exp_month, _methods.c.exp_year)
    .join(_methods, _methods.c.id == _mandates.c.method_id)
    .where(_mandates.c.account_id == bindparam("account_id"),
           _mandates.c.status.in_([literal(status) for status in IN_FORCE]))
)
_CHARGE_DATES = select(_charges.c.billing_period, _charges.c.next_attempt_on).where(
    _charges.c.mandate_id == bindparam("mandate_id"))


def enroll(svc: Services, account_id: int, *, method_id: int, amount_rule: str,
           fixed_amount_cents: int | None, frequency: str,
           days_before_due: int) -> AutopayMandate:
    now = svc.now()
    with svc.uow() as uow:
        session = uow.session
        if mandate_in_force(session, account_id) is not None:
            raise NotAllowed(ALREADY_ENROLLED, key="autopay_already_set_up")
        terms = _valid_terms(svc, session, account_id, method_id=method_id,
                             amount_rule=amount_rule, fixed_amount_cents=fixed_amount_cents,
                             frequency=frequency, days_before_due=days_before_due)
        mandate = AutopayMandate(account_id=account_id, status="active", created_at=now,
                                 updated_at=now, **terms)
        session.add(mandate)
        try:
            session.flush()
        except IntegrityError:  # a second enrolment racing this one got there first
            raise NotAllowed(ALREADY_ENROLLED, key="autopay_already_set_up") from None
        audit.record(session, "autopay_enrolled", at=now, account_id=account_id,
                     mandate_id=mandate.id, **terms)
        uow.commit()
        return detached(session, mandate, "method")


def change(svc: Services, account_id: int, *, method_id: int | None = None,
           amount_rule: str | None = None, fixed_amount_cents: int | None = None,
           frequency: str | None = None, days_before_due: int | None = None) -> AutopayMandate:
    """Change some terms of the mandate in force; what is not given stays as it is."""
    now = svc.now()
    with svc.uow() as uow:
        session = uow.session
        mandate = _in_force_or_not_found(session, account_id)
        rule = amount_rule or mandate.amount_rule
        if fixed_amount_cents is None and rule == "fixed":
            fixed_amount_cents = mandate.fixed_amount_cents
        terms = _valid_terms(
            svc, session, account_id,
            method_id=mandate.method_id if method_id is None else method_id,
            amount_rule=rule, fixed_amount_cents=fixed_amount_cents,
            frequency=frequency or mandate.frequency,
            days_before_due=mandate.days_before_due if days_before_due is None
            else days_before_due,
        )
        changed = {key: value for key, value in terms.items()
                   if getattr(mandate, key) != value}
        for key, value in changed.items():
            setattr(mandate, key, value)
        mandate.updated_at = now
        audit.record(session, "autopay_changed", at=now, account_id=account_id,
                     mandate_id=mandate.id, **changed)
        uow.commit()
        return detached(session, mandate, "method")


def pause(svc: Services, account_id: int, *, until: dt.date | None = None) -> AutopayMandate:
    """Pause autopay; with `until`, it resumes by itself that day (resume_due_pauses)."""
    if until is not None and until <= svc.today():
        raise NotAllowed("A pause has to end after today.", key="autopay_pause_ends_too_soon")
    return _move(svc, account_id, "active", "paused",
                 NotAllowed("Autopay is already paused.", key="autopay_already_paused"),
                 resume_on=until)


def resume(svc: Services, account_id: int) -> AutopayMandate:
    return _move(svc, account_id, "paused", "active",
                 NotAllowed("Autopay is already on.", key="autopay_already_on"))


def cancel(svc: Services, account_id: int) -> AutopayMandate:
    return _move(svc, account_id, None, "cancelled", None)


def _move(svc: Services, account_id: int, from_status: str | None, to_status: str,
          refusal: NotAllowed | None, *, resume_on: dt.date | None = None) -> AutopayMandate:
    # `refusal`: raised when the mandate is not `from_status` (None: any status will do).
    now = svc.now()
    with svc.uow() as uow:
        session = uow.session
        # The charge run checks the mandate under this lock too: a pause or cancel lands
        # either before it (nothing is charged) or after its payment has an answer.
        lock_account(session, account_id)
        mandate = _in_force_or_not_found(session, account_id)
        if from_status is not None and mandate.status != from_status:
            raise refusal
        if to_status != "active":
            _refuse_while_charging(session, account_id)
        if to_status == "active":  # the method may have expired while autopay was paused
            get_chargeable_method(session, account_id, mandate.method_id, svc.today())
        mandate.status = to_status
        mandate.resume_on = resume_on
        mandate.updated_at = now
        audit.record(session, f"autopay_{to_status}", at=now, account_id=account_id,
                     mandate_id=mandate.id)
        uow.commit()
        return detached(session, mandate, "method")


def get_mandate(svc: Services, account_id: int) -> AutopayMandate | None:
    with svc.uow() as uow:
        mandate = mandate_in_force(uow.session, account_id)
        return detached(uow.session, mandate, "method") if mandate else None


def mandate_in_force(session: Session, account_id: int) -> AutopayMandate | None:
    return session.scalar(select(AutopayMandate).where(
        AutopayMandate.account_id == account_id, AutopayMandate.status.in_(IN_FORCE)))


def mandate_in_force_row(session: Session, account_id: int) -> Row | None:
    """The mandate in force, to show: its terms (with its id and status) and, in the same row,
    what method_label reads of its method (kind, brand, last4, nickname, exp_month, exp_year)."""
    return session.execute(_MANDATE_IN_FORCE_ROW, {"account_id": account_id}).first()


def next_charge_date(svc: Services, mandate: AutopayMandate, *,
                     today: dt.date | None = None) -> dt.date | None:
    """When autopay will next charge (a retry of a soft decline included); None unless
    active."""
    with svc.uow() as uow:
        return next_charge_date_in(uow.session, svc.policy, mandate, today or svc.today())


def next_charge_date_in(session: Session, policy: ExchangePolicy,
                        mandate: AutopayMandate | Row, today: dt.date) -> dt.date | None:
    if mandate.status != "active":
        return None
    charges = dict(session.execute(_CHARGE_DATES, {"mandate_id": mandate.id}).all())
    period = period_containing(today, mandate.frequency)
    while True:
        opens, due = charge_window(policy, period, mandate.days_before_due)
        if due >= today:
            if period not in charges:
                return max(opens, today)
            if charges[period] is not None:
                return charges[period]
        period = next_period(period, mandate.frequency)


def card_expires_before_next_charge(svc: Services, mandate: AutopayMandate) -> bool:
    charge_on = next_charge_date(svc, mandate)
    return charge_on is not None and card_expired(mandate.method, charge_on)


def _valid_terms(svc: Services, session: Session, account_id: int, *, method_id: int,
                 amount_rule: str, fixed_amount_cents: int | None, frequency: str,
                 days_before_due: int) -> dict:
    if amount_rule not in AMOUNT_RULES:
        raise InvalidInput("Autopay can pay your full balance or a fixed amount. Which one?",
                           key="autopay_amount_rule")
    if amount_rule == "fixed":
        if fixed_amount_cents is None:
            raise InvalidAmount("Please tell me the fixed amount autopay should pay.",
                                key="autopay_fixed_amount_needed")
        check_amount(fixed_amount_cents, max_cents=svc.config.max_payment_cents)
    else:
        fixed_amount_cents = None
    if frequency not in PERIOD_MONTHS:
        raise InvalidInput("Autopay can run monthly or quarterly. Which one?",
                           key="autopay_frequency")
    if (not isinstance(days_before_due, int) or isinstance(days_before_due, bool)
            or not 0 <= days_before_due <= MAX_DAYS_BEFORE_DUE):
        raise InvalidInput(f"Autopay can charge from 0 to {MAX_DAYS_BEFORE_DUE} days before "
                           "the due date. How many days before?",
                           key="autopay_days_before_range", most=MAX_DAYS_BEFORE_DUE)
    method = get_chargeable_method(session, account_id, method_id, svc.today())
    return {"method_id": method.id, "amount_rule": amount_rule,
            "fixed_amount_cents": fixed_amount_cents, "frequency": frequency,
            "days_before_due": days_before_due}


def _refuse_while_charging(session: Session, account_id: int) -> None:
    """A member told "cancelled" (or "paused") must not be charged after: while autopay's
    payment is with the gateway, the answer is to wait rather than a promise it cannot keep."""
    charging = session.scalar(select(Payment).where(
        Payment.account_id == account_id, Payment.source == "autopay",
        Payment.status == "pending").limit(1))
    if charging is not None:
        raise NotAllowed(CHARGING_NOW.format(amount=format_cents(charging.amount_cents),
                                             reference=charging.reference),
                         key="autopay_charging_now", amount_cents=charging.amount_cents,
                         reference=charging.reference)


def _in_force_or_not_found(session: Session, account_id: int) -> AutopayMandate:
    mandate = mandate_in_force(session, account_id)
    if mandate is None:
        raise NotFound(NO_AUTOPAY, key="no_autopay")
    return mandate
