"""A member's quiet hours: local hours (in the member's own time zone) when nothing is pushed.

Hours run from `start` up to `end`; start 21 and end 8 means 9 PM to 8 AM, across midnight.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def quiet_until(now: dt.datetime, time_zone: str, start: int, end: int, *,
                fallback_zone: str = "America/New_York") -> dt.datetime | None:
    """When the member's quiet hours end (aware UTC) if `now` falls in them, else None."""
    if start == end:
        return None
    local = now.astimezone(_zone(time_zone, fallback_zone))
    hour = local.hour
    quiet = start <= hour < end if start < end else hour >= start or hour < end
    if not quiet:
        return None
    ends = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if ends <= local:
        ends = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(end),
                                   tzinfo=local.tzinfo)
    return ends.astimezone(dt.UTC)


def _zone(name: str, fallback: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(fallback)
