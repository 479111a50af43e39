"""Calendar arithmetic for premiums: coverage months and autopay billing periods.

A coverage month is the date of its first day. An autopay billing period is named by its first
coverage month: every month for monthly autopay; January, April, July and October for
quarterly autopay, whose period covers three coverage months and is due with the first.
"""

from __future__ import annotations

import datetime as dt

from services.policy import ExchangePolicy

PERIOD_MONTHS = {"monthly": 1, "quarterly": 3}


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(first: dt.date, later: dt.date) -> int:
    """Whole calendar months from `first`'s month to `later`'s month."""
    return (later.year - first.year) * 12 + later.month - first.month


def period_containing(coverage_month: dt.date, frequency: str) -> dt.date:
    length = PERIOD_MONTHS[frequency]
    month = month_start(coverage_month)
    return add_months(month, -((month.month - 1) % length))


def period_months(period: dt.date, frequency: str) -> list[dt.date]:
    return [add_months(period, n) for n in range(PERIOD_MONTHS[frequency])]


def next_period(period: dt.date, frequency: str) -> dt.date:
    return add_months(period, PERIOD_MONTHS[frequency])


def charge_window(policy: ExchangePolicy, period: dt.date,
                  days_before_due: int) -> tuple[dt.date, dt.date]:
    """When autopay charges a period: from `days_before_due` days before its due date
    through the due date itself (a run missed by a day still pays on time)."""
    due = policy.due_date_for(period)
    return due - dt.timedelta(days=days_before_due), due


def period_to_charge(policy: ExchangePolicy, frequency: str, days_before_due: int,
                     today: dt.date) -> dt.date | None:
    """The billing period whose charge window contains `today`, if any. Windows are at most
    21 days long and due dates a month apart, so there is at most one."""
    period = period_containing(today, frequency)
    while True:
        opens, due = charge_window(policy, period, days_before_due)
        if opens > today:
            return None
        if today <= due:
            return period
        period = next_period(period, frequency)
