"""Cadence strings for recurring controls: a named period or `cron: <five fields>`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from apscheduler.triggers.cron import CronTrigger

CRON_PREFIX = "cron:"


class Period(StrEnum):
    """A named calendar period a review repeats on."""

    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUAL = "annual"


@dataclass(frozen=True)
class Cadence:
    """A parsed cadence: either a named period or a five-field cron expression."""

    period: Period | None = None
    cron: str | None = None

    def __str__(self) -> str:
        return self.period.value if self.period else f"{CRON_PREFIX} {self.cron}"


def parse_cadence(text: str) -> Cadence:
    """Parse a cadence string, raising ValueError that says what is accepted."""
    value = text.strip()
    if value.lower().startswith(CRON_PREFIX):
        expression = value[len(CRON_PREFIX) :].strip()
        _check_cron(expression)
        return Cadence(cron=expression)
    try:
        return Cadence(period=Period(value.lower()))
    except ValueError:
        names = ", ".join(p.value for p in Period)
        raise ValueError(
            f"unknown cadence {text!r}: use one of {names} "
            "or 'cron: <minute hour day month weekday>'"
        ) from None


WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def cron_trigger(expression: str, timezone: Any) -> CronTrigger:
    """An APScheduler trigger for a standard cron expression (0 or 7 = Sunday, 1 = Monday).

    NOTE: APScheduler 3's `from_crontab` counts weekdays from Monday = 0, so numeric weekdays
    are translated to names first.
    """
    minute, hour, day, month, weekday = expression.split()
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=_weekday_names(weekday),
        timezone=timezone,
    )


def _weekday_names(field: str) -> str:
    """`1-5` -> `mon-fri`, `0,6` -> `sun,sat`; names, `*` and steps pass through."""
    return re.sub(r"\b[0-7]\b", lambda m: WEEKDAYS[int(m.group())], field)


def _check_cron(expression: str) -> None:
    """Refuse a cron expression that is not five valid fields."""
    if len(expression.split()) != 5:
        raise ValueError(f"cron expression {expression!r} must have 5 fields")
    try:
        cron_trigger(expression, "UTC")
    except ValueError as exc:
        raise ValueError(f"bad cron expression {expression!r}: {exc}") from None
