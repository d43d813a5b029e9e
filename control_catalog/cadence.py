"""Cadence strings for recurring controls: a named period or `cron: <five fields>`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

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


def _check_cron(expression: str) -> None:
    """Refuse a cron expression that is not five valid fields."""
    if len(expression.split()) != 5:
        raise ValueError(f"cron expression {expression!r} must have 5 fields")
    try:
        CronTrigger.from_crontab(expression, timezone="UTC")
    except ValueError as exc:
        raise ValueError(f"bad cron expression {expression!r}: {exc}") from None
