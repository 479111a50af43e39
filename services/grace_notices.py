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
from services.notice_language import buttons_in, notice_lines
from services.notice_texts import PAY_NOW, PAYMENT_OPTIONS
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
            select(Account.id, Account.enrollment_id, Enrollment.subsidy_type, Account.language)
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
                                              for account_id, enrollment_id, *_ in chunk})
            for account_id, _, subsidy_type, language in chunk:
                status = grace_status(svc.policy, subsidy_type, items[account_id], today)
                if status is None or status.deadline_passed:
                    continue
                first_unpaid = next(item.invoice for item in items[account_id]
                                    if item.due_cents > 0 and item.invoice.due_date < today)
                planned.append(_notice(svc, account_id, first_unpaid, status, language))
        created = enqueue(session, planned, now=now)
        uow.commit()
    return len(created)


def _notice(svc: Services, account_id: int, first_unpaid: Invoice, status: GraceStatus,
            language: str | None) -> NewNotification:
    notice = status.notices_due[-1]
    rule = svc.policy.grace_for(status.subsidy_type)
    pay_by, ends = status.coverage_at_risk_on, _coverage_ends_on(rule, status)
    if notice == "past_due":
        text = notice_lines(
            language,
            ("past_due", {"amount_cents": status.past_due_cents,
                          "month": first_unpaid.coverage_month, "due": first_unpaid.due_date}),
            ("past_due_grace", {"months": status.grace_months, "pay_by": pay_by})
            if status.grace_months else ("past_due_no_grace", {"pay_by": pay_by, "ends": ends}))
    else:
        text = notice_lines(language, ("coverage_at_risk", {
            "amount_cents": status.past_due_cents, "since": status.past_due_since,
            "pay_by": pay_by, "ends": ends}))
    return NewNotification(
        account_id=account_id, kind=NOTICE_KINDS.get(notice, "coverage_at_risk"),
        dedupe_key=(f"grace:{account_id}:{status.first_unpaid_month:%Y-%m}:{notice}:"
                    f"{status.month_of_grace}"),
        text=text, buttons=buttons_in(language, [PAY_NOW, PAYMENT_OPTIONS]),
        invoice_id=first_unpaid.id)


def _coverage_ends_on(rule: GraceRule, status: GraceStatus) -> dt.date:
    """The day coverage would end, back-dated as the policy says."""
    if rule.terminates_back_to == "end_of_first_unpaid_month":
        return add_months(status.first_unpaid_month, 1) - dt.timedelta(days=1)
    return status.first_unpaid_month - dt.timedelta(days=1)  # end of the last paid month
