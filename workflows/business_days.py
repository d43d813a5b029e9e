"""Calendar arithmetic for reminders: local dates, quiet days and business days (pure)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    """The calendar date at an aware moment in a time zone (naive moments are refused)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware datetime")
    return moment.astimezone(zone).date()


def is_quiet(day: date, quiet: Collection[str]) -> bool:
    """Whether a date falls on a quiet day (`quiet` holds names like "sat")."""
    return WEEKDAY_NAMES[day.weekday()] in quiet


def business_days_between(start: date, end: date, quiet: Collection[str]) -> int:
    """Working days in (start, end]; 0 when end is not after start."""
    if end <= start:
        return 0
    weeks, extra = divmod((end - start).days, 7)
    working_per_week = sum(1 for name in WEEKDAY_NAMES if name not in quiet)
    tail = sum(1 for i in range(1, extra + 1) if not is_quiet(start + timedelta(days=i), quiet))
    return weeks * working_per_week + tail


def add_business_days(start: date, days: int, quiet: Collection[str]) -> date:
    """The date `days` working days after `start` (start itself when days is 0)."""
    if len(set(quiet) & set(WEEKDAY_NAMES)) >= len(WEEKDAY_NAMES):
        raise ValueError("every day is quiet")
    day, left = start, days
    while left > 0:
        day += timedelta(days=1)
        if not is_quiet(day, quiet):
            left -= 1
    return day
