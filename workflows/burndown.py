"""A release's burndown: open tasks at the end of each day, and the ideal line (pure).

A task counts from the day it was created. Its status at the end of a day is the target of
its last status change up to that day; before its first change it had that change's starting
status, and a task that never changed has had its current status all along.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from workflows.status import CLOSED, ControlStatus


@dataclass(frozen=True)
class TaskTimeline:
    """One task as the burndown sees it: when it appeared, its status now, its changes."""

    created_at: datetime
    status: ControlStatus
    changes: Sequence[tuple[datetime, ControlStatus, ControlStatus]] = ()  # (at, from, to)


@dataclass(frozen=True)
class Burndown:
    """Open tasks at the end of each day up to today, and the straight line to zero at `target`."""

    start: date
    end: date
    target: date | None
    actual: tuple[tuple[date, int], ...]
    ideal: tuple[tuple[date, float], ...]

    @property
    def days(self) -> int:
        """How many days the chart spans (at least one)."""
        return (self.end - self.start).days + 1

    @property
    def peak(self) -> int:
        """The largest count on either line (the chart's height)."""
        highest = max((n for _, n in self.actual), default=0)
        return max(highest, round(max((v for _, v in self.ideal), default=0.0)))


def _is_open(status: ControlStatus) -> bool:
    """Open means neither done nor not applicable."""
    return status not in CLOSED


def _first_status(task: TaskTimeline) -> ControlStatus:
    """The status a task had before its first recorded change."""
    changes = sorted(task.changes, key=lambda c: c[0])
    return changes[0][1] if changes else task.status


def _open_at_start(task: TaskTimeline, start: date) -> bool:
    """Whether a task existing on the first day was open as that day began."""
    earlier = [c for c in sorted(task.changes, key=lambda c: c[0]) if c[0].date() < start]
    return _is_open(earlier[-1][2] if earlier else _first_status(task))


def _deltas(task: TaskTimeline, start: date) -> dict[date, int]:
    """How the task moves the open count, by day (days before `start` fold into it)."""
    changes = sorted(task.changes, key=lambda c: c[0])
    moves: dict[date, int] = defaultdict(int)
    born = max(task.created_at.date(), start)
    was_open = _is_open(_first_status(task))
    moves[born] += int(was_open)
    for at, _, to in changes:
        now_open = _is_open(to)
        if now_open != was_open:
            moves[max(at.date(), born)] += 1 if now_open else -1
            was_open = now_open
    return moves


def burndown(
    tasks: Iterable[TaskTimeline], *, created: date, target: date | None, today: date
) -> Burndown:
    """The open-count series from the release's creation up to today, and its ideal line."""
    start = created
    last = max(today, start)
    end = max(last, target) if target is not None else last
    items = list(tasks)
    totals: dict[date, int] = defaultdict(int)
    for task in items:
        for day, delta in _deltas(task, start).items():
            totals[day] += delta
    scope = sum(1 for t in items if t.created_at.date() <= start and _open_at_start(t, start))
    running, actual = 0, []
    for offset in range((last - start).days + 1):
        day = start + timedelta(days=offset)
        running += totals.get(day, 0)
        actual.append((day, running))
    ideal = _ideal(scope, start, target)
    return Burndown(start=start, end=end, target=target, actual=tuple(actual), ideal=ideal)


def _ideal(first: int, start: date, target: date | None) -> tuple[tuple[date, float], ...]:
    """A straight line from the tasks open at the start down to zero on the target date."""
    if target is None or target < start:
        return ()
    span = (target - start).days
    if span == 0:
        return ((start, 0.0),)
    return tuple((start + timedelta(days=i), first * (span - i) / span) for i in range(span + 1))
