"""Business days for bank settlement: weekends and the Federal Reserve's holidays do not count.

Bank debits move on the Federal Reserve's calendar (the `XFED` financial calendar of the
holidays package): the US federal holidays, with a Sunday holiday observed on Monday but a
Saturday holiday not moved to Friday (the Fed is open on Friday, July 3rd, 2026).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays


@lru_cache(maxsize=32)
def _bank_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.financial_holidays("XFED", years=[year]).keys())


def is_business_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_business_days(start: dt.date, days: int) -> dt.date:
    """The date `days` business days after `start` (start itself does not count)."""
    day = start
    remaining = days
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_business_day(day):
            remaining -= 1
    return day
