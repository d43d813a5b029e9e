"""When a recurring control's reviews fall due (pure: the clock and the time zone are parameters).

A review *period* runs from the day it opens to its due date, inclusive. Periods come from:

- the calendar (`anchor: calendar`): weekly on Mondays, monthly on the 1st, quarterly on
  Jan/Apr/Jul/Oct 1st, annual on Jan 1st, or a cron expression's fire times in the time zone;
  a period is due the day before the next one opens;
- the last completion (`anchor: completion`, as in comp's `calculate-next-review`): the next
  review opens the day after the last one was completed and is due one cadence length later
  (a cron cadence counts to its first fire time after the completion).

What a late review does to the next (CISO Assistant's `overdue_behavior`):

- `keep_schedule` (NO_IMPACT): the next period keeps its slot; on the calendar a new review opens
  even while the last one is still open;
- `shift` (DELAY_NEXT): the next period counts from the late completion, and none opens while an
  overdue review is still open.

Periods missed while nothing ran are not opened after the fact: the calendar opens the period
that contains `now`.
"""

from __future__ import annotations

import calendar as cal
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from control_catalog import Cadence, Period
from control_catalog.cadence import cron_trigger

MONTHS = {Period.MONTHLY: 1, Period.QUARTERLY: 3, Period.ANNUAL: 12}
_LOOKBACKS = (
    timedelta(hours=1),
    timedelta(days=1),
    timedelta(days=8),
    timedelta(days=32),
    timedelta(days=367),
    timedelta(days=5 * 366),
    timedelta(days=30 * 366),
)


class Anchor(StrEnum):
    """What the periods are counted from."""

    CALENDAR = "calendar"
    COMPLETION = "completion"


class LateRule(StrEnum):
    """What a late review does to the next one."""

    KEEP_SCHEDULE = "keep_schedule"
    SHIFT = "shift"


@dataclass(frozen=True)
class ReviewPeriod:
    """One review period: it opens at `opens_at`, runs from `start` and is due on `due`."""

    start: date
    due: date
    opens_at: datetime
    key: str  # stable id of the period: its start date (cron: its local fire time)


@dataclass(frozen=True)
class LastReview:
    """The latest review of a control: when it opened, its due date, and when it was completed."""

    opens_at: datetime
    due: date
    completed_at: datetime | None = None


@dataclass(frozen=True)
class Schedule:
    """The period that should have a review now (if any), the one after, and why none is open."""

    current: ReviewPeriod | None
    next: ReviewPeriod | None
    waiting: str | None = None


def review_schedule(
    *,
    cadence: Cadence,
    anchor: Anchor,
    late: LateRule,
    tz: ZoneInfo,
    last: LastReview | None,
    now: datetime,
) -> Schedule:
    """The current period (begun by `now`) and the next one, given the last review."""
    if last is None:
        current = calendar_slot(cadence, tz, now)
        return Schedule(current, _following(cadence, tz, current))
    today = now.astimezone(tz).date()
    done = last.completed_at
    done_late = done is not None and done.astimezone(tz).date() > last.due
    if anchor is Anchor.COMPLETION:
        if done is None:
            return Schedule(None, None, "waits for the last review to be completed")
        if late is LateRule.KEEP_SCHEDULE and done_late:
            candidate = _following(cadence, tz, _as_period(last, tz))
            while candidate.due < done.astimezone(tz).date():
                candidate = _following(cadence, tz, candidate)
        else:
            candidate = counted_from(cadence, tz, done)
        if candidate.opens_at > now:
            return Schedule(None, candidate)
        return Schedule(candidate, None, None)
    if late is LateRule.SHIFT and done is None and today > last.due:
        return Schedule(
            None, None, "the last review is overdue; the next counts from its completion"
        )
    if late is LateRule.SHIFT and done is not None and done_late:
        candidate = counted_from(cadence, tz, done)
    else:
        candidate = _following(cadence, tz, _as_period(last, tz))
    if candidate.opens_at > now:
        return Schedule(None, candidate)
    current = _roll_forward(cadence, tz, candidate, now)
    return Schedule(current, _following(cadence, tz, current))


def calendar_slot(cadence: Cadence, tz: ZoneInfo, moment: datetime) -> ReviewPeriod:
    """The calendar period that contains `moment` (in the time zone)."""
    if cadence.cron is not None:
        trigger = cron_trigger(cadence.cron, tz)
        return _cron_slot(trigger, tz, _last_fire(trigger, moment))
    assert cadence.period is not None
    day = moment.astimezone(tz).date()
    if cadence.period is Period.WEEKLY:
        start = day - timedelta(days=day.weekday())
        return _period(start, start + timedelta(days=6), tz)
    months = MONTHS[cadence.period]
    first_month = (day.month - 1) // months * months + 1
    start = date(day.year, first_month, 1)
    return _period(start, add_months(start, months) - timedelta(days=1), tz)


def counted_from(cadence: Cadence, tz: ZoneInfo, done: datetime) -> ReviewPeriod:
    """The period that follows a completion: the next day until one cadence length later."""
    if cadence.cron is not None:
        trigger = cron_trigger(cadence.cron, tz)
        fire = trigger.get_next_fire_time(done, done)
        assert fire is not None
        return _cron_slot(trigger, tz, fire)
    day = done.astimezone(tz).date()
    return _period(day + timedelta(days=1), _advance(cadence, day), tz)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (Jan 31 + 1 month = Feb 28/29)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = cal.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _advance(cadence: Cadence, day: date) -> date:
    """`day` plus one cadence length (named periods only)."""
    assert cadence.period is not None
    if cadence.period is Period.WEEKLY:
        return day + timedelta(days=7)
    return add_months(day, MONTHS[cadence.period])


def _following(cadence: Cadence, tz: ZoneInfo, period: ReviewPeriod) -> ReviewPeriod:
    """The period after `period`: the next calendar slot, or one length on if it was shifted."""
    if cadence.cron is not None:
        trigger = cron_trigger(cadence.cron, tz)
        fire = trigger.get_next_fire_time(period.opens_at, period.opens_at)
        assert fire is not None
        return _cron_slot(trigger, tz, fire)
    start = period.due + timedelta(days=1)
    slot = calendar_slot(cadence, tz, _midnight(start, tz))
    if slot.start == start:
        return slot
    return _period(start, _advance(cadence, period.due), tz)


def _roll_forward(
    cadence: Cadence, tz: ZoneInfo, period: ReviewPeriod, now: datetime
) -> ReviewPeriod:
    """The latest period from `period` on that has opened by `now` (missed ones are skipped)."""
    if cadence.cron is not None:
        return calendar_slot(cadence, tz, now)
    while True:
        following = _following(cadence, tz, period)
        if following.opens_at > now:
            return period
        period = following


def _as_period(last: LastReview, tz: ZoneInfo) -> ReviewPeriod:
    """The last review as a period."""
    opened = last.opens_at.astimezone(tz)
    return ReviewPeriod(opened.date(), last.due, last.opens_at, "")


def _period(start: date, due: date, tz: ZoneInfo) -> ReviewPeriod:
    return ReviewPeriod(start, due, _midnight(start, tz), start.isoformat())


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tz)


def _last_fire(trigger: CronTrigger, moment: datetime) -> datetime:
    """The cron's latest fire time at or before `moment`."""
    for lookback in _LOOKBACKS:
        first = trigger.get_next_fire_time(None, moment - lookback)
        if first is None or first > moment:
            continue
        fire = _aware(first)
        while True:
            later = trigger.get_next_fire_time(fire, fire)
            if later is None or later > moment:
                return fire
            fire = _aware(later)
    raise ValueError(f"cron {trigger} has not fired in 30 years")


def _cron_slot(trigger: CronTrigger, tz: ZoneInfo, fire: datetime) -> ReviewPeriod:
    """The period that opens at one fire time and is due the day before the next fire."""
    local = fire.astimezone(tz)
    following = trigger.get_next_fire_time(fire, fire)
    due = local.date()
    if following is not None:
        due = max(due, following.astimezone(tz).date() - timedelta(days=1))
    return ReviewPeriod(local.date(), due, fire, local.strftime("%Y-%m-%dT%H:%M"))


def _aware(value: object) -> datetime:
    """APScheduler's untyped fire time, checked."""
    assert isinstance(value, datetime) and value.tzinfo is not None
    return value
