"""Grace periods: how long a member with unpaid premiums keeps coverage, from the policy file.

Tax-credit and ConnectorCare members have a grace period of `months` months that starts with
the first unpaid coverage month; unsubsidized members get a past-due notice with a pay-by
date instead. Either way the member is told "coverage at risk on DATE".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from services.billing_periods import months_between
from services.ledger import OpenItem
from services.policy import ExchangePolicy


@dataclass(frozen=True)
class GraceStatus:
    subsidy_type: str
    first_unpaid_month: dt.date  # the oldest coverage month still unpaid after its due date
    past_due_since: dt.date  # the first day it was past due: the day after its due date
    past_due_cents: int
    grace_months: int  # the policy's grace period; 0 means a pay-by date instead
    month_of_grace: int  # 1-based month of the grace period we are in; 0 without one
    coverage_at_risk_on: dt.date  # the last day to pay before coverage ends
    notices_due: tuple[str, ...]  # the notices the policy sends by now, in order
    deadline_passed: bool
    # Every coverage month with a premium past due, oldest first: arrears are named by these.
    unpaid_months: tuple[dt.date, ...] = ()


def grace_status(policy: ExchangePolicy, subsidy_type: str, items: Sequence[OpenItem],
                 today: dt.date) -> GraceStatus | None:
    """None while nothing is past due. `items` come oldest first (ledger.outstanding); a
    payment still settling counts as paid here, and if it fails the grace status returns."""
    past_due = [item for item in items if item.due_cents > 0 and item.invoice.due_date < today]
    if not past_due:
        return None
    first = past_due[0].invoice
    rule = policy.grace_for(subsidy_type)
    at_risk_on = rule.coverage_at_risk_on(first.coverage_month, first.due_date)
    if rule.months:
        # Paying late for a month that has not started yet still counts as grace month 1.
        month = min(max(months_between(first.coverage_month, today) + 1, 1), rule.months)
        notices = rule.notices[:month]
    else:
        month, notices = 0, rule.notices
    return GraceStatus(
        subsidy_type=subsidy_type,
        first_unpaid_month=first.coverage_month,
        past_due_since=past_due_since(first.due_date),
        past_due_cents=sum(item.due_cents for item in past_due),
        grace_months=rule.months,
        month_of_grace=month,
        coverage_at_risk_on=at_risk_on,
        notices_due=tuple(notices),
        deadline_passed=today > at_risk_on,
        unpaid_months=tuple(sorted({item.invoice.coverage_month for item in past_due})),
    )


def past_due_since(due_date: dt.date) -> dt.date:
    """The first day a premium is past due: the day after its due date. Chat and notices
    both say this day, so a member never reads two dates for one bill."""
    return due_date + dt.timedelta(days=1)
