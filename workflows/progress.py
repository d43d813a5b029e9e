"""Progress of a release: counts per status, completion and what is overdue (pure)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from control_catalog import Priority
from workflows.models import ControlTask
from workflows.status import CLOSED, ControlStatus


@dataclass(frozen=True)
class Progress:
    """How far a release is: closed means done or not applicable with a justification."""

    total: int
    closed: int
    by_status: dict[ControlStatus, int]
    high_total: int
    high_closed: int
    overdue: int

    @property
    def percent(self) -> float:
        """Share of tasks closed, 0-100."""
        return 100.0 * self.closed / self.total if self.total else 0.0


def summarize(tasks: Iterable[ControlTask], *, today: date) -> Progress:
    """Count a release's tasks by status; overdue = still open with a due date before today."""
    items = list(tasks)
    counts = Counter(ControlStatus(t.status) for t in items)
    high = [t for t in items if t.priority == Priority.HIGH]
    return Progress(
        total=len(items),
        closed=sum(counts[s] for s in CLOSED),
        by_status={s: counts[s] for s in ControlStatus},
        high_total=len(high),
        high_closed=sum(1 for t in high if t.status in CLOSED),
        overdue=sum(1 for t in items if is_overdue(t, today=today)),
    )


def is_overdue(task: ControlTask, *, today: date) -> bool:
    """An open task whose due date has passed."""
    return task.status not in CLOSED and task.due_date is not None and task.due_date < today
