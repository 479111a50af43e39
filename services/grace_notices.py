"""Past-due and coverage-at-risk notices, on the exchange's schedule for each subsidy type.

The policy lists the notices of a grace period in order, one per month of grace (tax-credit and
ConnectorCare members: a past-due notice, then termination warnings in months 2 and 3), or a
single past-due notice with a pay-by date (unsubsidized members). The latest notice due is
planned once per (member, first unpaid month, notice, month of grace); a job that missed days
sends that one, not the ones it missed. Reminder settings do not turn these off: they are about
keeping coverage. Nothing is sent once the pay-by date has passed.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import exists, select

from services.billing_periods import add_months
from services.context import Services
from services.grace import GraceStatus, grace_status
from services.ledger import outstanding_for
from services.money import format_cents
from services.notice_texts import PAY_NOW, PAYMENT_OPTIONS, day, month
from services.outbox import NewNotification, enqueue
from services.persistence.models import Account, Enrollment, Invoice
from services.policy import GraceRule

NOTICE_KINDS = {"past_due": "past_due", "termination_warning": "coverage_at_risk"}
CHUNK = 5000  # members whose bills are read at once


def plan_grace_notices(svc: Services, today: dt.date) -> int:
    """Plan the grace-period notices due today; how many are new."""
    now = svc.now()
    with svc.uow() as uow:
        session = uow.session
        members = session.execute(
            select(Account.id, Account.enrollment_id, Enrollment.subsidy_type)
            .join(Enrollment, Enrollment.id == Account.enrollment_id)
            .where(exists().where(Invoice.enrollment_id == Account.enrollment_id,
                                  Invoice.paid_cents < Invoice.amount_cents,
                                  Invoice.due_date < today))
            .order_by(Account.id)
        ).all()
        planned = []
        for start in range(0, len(members), CHUNK):
            chunk = members[start:start + CHUNK]
            items = outstanding_for(session, {account_id: enrollment_id
                                              for account_id, enrollment_id, _ in chunk})
            for account_id, _, subsidy_type in chunk:
                status = grace_status(svc.policy, subsidy_type, items[account_id], today)
                if status is None or status.deadline_passed:
                    continue
                first_unpaid = next(item.invoice for item in items[account_id]
                                    if item.due_cents > 0 and item.invoice.due_date < today)
                planned.append(_notice(svc, account_id, first_unpaid, status))
        created = enqueue(session, planned, now=now)
        uow.commit()
    return len(created)


def _notice(svc: Services, account_id: int, first_unpaid: Invoice,
            status: GraceStatus) -> NewNotification:
    notice = status.notices_due[-1]
    rule = svc.policy.grace_for(status.subsidy_type)
    amount = format_cents(status.past_due_cents)
    pay_by = day(status.coverage_at_risk_on)
    ends = f"your coverage ends, back-dated to {day(_coverage_ends_on(rule, status))}"
    if notice == "past_due":
        text = (f"Your premium of {amount} for {month(first_unpaid.coverage_month)} coverage "
                f"was due {day(first_unpaid.due_date)} and hasn't been paid. ")
        if status.grace_months:
            text += (f"You're in a {status.grace_months}-month grace period: please pay by "
                     f"{pay_by} to keep your coverage.")
        else:
            text += f"Please pay by {pay_by}: after that {ends}."
    else:
        text = (f"Your coverage is at risk: {amount} in premiums has been past due since "
                f"{day(status.past_due_since)}. If it isn't paid by {pay_by}, {ends}.")
    return NewNotification(
        account_id=account_id, kind=NOTICE_KINDS.get(notice, "coverage_at_risk"),
        dedupe_key=(f"grace:{account_id}:{status.first_unpaid_month:%Y-%m}:{notice}:"
                    f"{status.month_of_grace}"),
        text=text, buttons=[PAY_NOW, PAYMENT_OPTIONS], invoice_id=first_unpaid.id)


def _coverage_ends_on(rule: GraceRule, status: GraceStatus) -> dt.date:
    """The day coverage would end, back-dated as the policy says."""
    if rule.terminates_back_to == "end_of_first_unpaid_month":
        return add_months(status.first_unpaid_month, 1) - dt.timedelta(days=1)
    return status.first_unpaid_month - dt.timedelta(days=1)  # end of the last paid month
