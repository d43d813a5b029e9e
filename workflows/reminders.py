"""Which reminders are due: due soon, overdue with back-off and a cap, escalation (pure).

Each decision carries a `period` that makes (task, kind, period) unique, so the service can
claim it in the database before sending: due soon once per due date, overdue and escalation
once per reminder number.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from workflows.business_days import add_business_days, business_days_between, is_quiet, local_date
from workflows.models import ReminderKind
from workflows.repo_config import ReminderConfig
from workflows.status import CLOSED, ControlStatus


class TaskLike(Protocol):
    """What the decision needs of a control task."""

    @property
    def id(self) -> int | None: ...
    @property
    def status(self) -> ControlStatus: ...
    @property
    def due_date(self) -> date | None: ...
    @property
    def snoozed_until(self) -> datetime | None: ...


@dataclass(frozen=True)
class Sent:
    """A reminder already claimed for a task."""

    kind: ReminderKind
    period: str
    sent_at: datetime


@dataclass(frozen=True)
class Decision:
    """A reminder to claim and send now."""

    task_id: int
    kind: ReminderKind
    period: str
    due_date: date
    overdue_days: int
    escalate_to: tuple[str, ...] = ()


def quiet_names(config: ReminderConfig) -> frozenset[str]:
    """The configured quiet days as names like "sat"."""
    return frozenset(day.value for day in config.quiet_days)


def today_in(config: ReminderConfig, now: datetime) -> date:
    """Today's date in the workspace's time zone."""
    return local_date(now, ZoneInfo(config.timezone))


def window_end(config: ReminderConfig, now: datetime) -> date:
    """The latest due date that can be due soon today (for the indexed candidate query)."""
    return add_business_days(today_in(config, now), config.lead, quiet_names(config))


def decide(
    *,
    tasks: Iterable[TaskLike],
    history: Mapping[int, Sequence[Sent]],
    config: ReminderConfig,
    now: datetime,
    escalate_to: Sequence[str] = (),
) -> list[Decision]:
    """The reminders due at `now`; nothing on quiet days, for snoozed or for closed tasks."""
    today = today_in(config, now)
    if not config.enabled or is_quiet(today, quiet_names(config)):
        return []
    decisions: list[Decision] = []
    for task in tasks:
        if task.id is None or task.due_date is None or task.status in CLOSED:
            continue
        if task.snoozed_until is not None and task.snoozed_until > now:
            continue
        sent = history.get(task.id, ())
        decisions.extend(_for_task(task.id, task.due_date, sent, config, today, escalate_to))
    return decisions


def _for_task(
    task_id: int,
    due: date,
    sent: Sequence[Sent],
    config: ReminderConfig,
    today: date,
    escalate_to: Sequence[str],
) -> list[Decision]:
    """The reminders due today for one open task."""
    if due >= today:
        lead = business_days_between(today, due, quiet_names(config))
        claimed = any(s.kind is ReminderKind.DUE_SOON and s.period == due.isoformat() for s in sent)
        if lead > config.lead or claimed:
            return []
        return [Decision(task_id, ReminderKind.DUE_SOON, due.isoformat(), due, 0)]
    overdue = sorted((s for s in sent if s.kind is ReminderKind.OVERDUE), key=_number)
    number = _number(overdue[-1]) + 1 if overdue else 1
    if number > config.max_reminders:
        return []
    if overdue and not _waited(overdue[-1], number, config, today):
        return []
    days = (today - due).days
    result = [Decision(task_id, ReminderKind.OVERDUE, str(number), due, days)]
    if number > config.escalate_after and escalate_to:
        step = str(number - config.escalate_after)
        result.append(
            Decision(task_id, ReminderKind.ESCALATION, step, due, days, tuple(escalate_to))
        )
    return result


def _number(sent: Sent) -> int:
    """The reminder number stored in an overdue period."""
    return int(sent.period) if sent.period.isdigit() else 0


def backoff_days(config: ReminderConfig, number: int) -> int:
    """Days to wait before reminder `number` (2, 3, ...): backoff_days, then doubling."""
    return int(config.backoff_days * 2 ** max(number - 2, 0))


def _waited(last: Sent, number: int, config: ReminderConfig, today: date) -> bool:
    """Whether enough local days passed since the previous overdue reminder."""
    last_day = local_date(last.sent_at, ZoneInfo(config.timezone))
    return (today - last_day).days >= backoff_days(config, number)
