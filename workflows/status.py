"""The control-task status model: the transition table and the pure move check."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from workflows.errors import InvalidTransition, JustificationRequired


class ControlStatus(StrEnum):
    """Where a control task stands."""

    TODO = "todo"
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"
    DONE = "done"
    NOT_APPLICABLE = "not_applicable"


class ChangeSource(StrEnum):
    """Which door a status change came through, for the audit trail."""

    CLI = "cli"
    API = "api"
    WEBHOOK = "webhook"
    COMMAND = "command"
    SCHEDULER = "scheduler"


S = ControlStatus

# NOTE: closed states only reopen; a finished control is never silently re-classified.
TRANSITIONS: Mapping[ControlStatus, frozenset[ControlStatus]] = {
    S.TODO: frozenset({S.IN_PROGRESS, S.BLOCKED, S.DONE, S.NOT_APPLICABLE}),
    S.IN_PROGRESS: frozenset({S.TODO, S.BLOCKED, S.DONE, S.NOT_APPLICABLE}),
    S.BLOCKED: frozenset({S.TODO, S.IN_PROGRESS, S.DONE, S.NOT_APPLICABLE}),
    S.DONE: frozenset({S.TODO, S.IN_PROGRESS}),
    S.NOT_APPLICABLE: frozenset({S.TODO}),
}
NEEDS_JUSTIFICATION = frozenset({S.NOT_APPLICABLE})
CLOSED = frozenset({S.DONE, S.NOT_APPLICABLE})


@dataclass(frozen=True)
class StatusMove:
    """An allowed change of status, with the note that explains it."""

    from_status: ControlStatus
    to_status: ControlStatus
    note: str | None


def plan_move(
    current: ControlStatus, target: ControlStatus, *, note: str | None = None
) -> StatusMove | None:
    """Check a move against the table: None for a repeat, an error for an impossible move."""
    if current is target:
        return None
    if target not in TRANSITIONS[current]:
        allowed = [s.value for s in ControlStatus if s in TRANSITIONS[current]]
        raise InvalidTransition(current.value, target.value, allowed)
    cleaned = (note or "").strip() or None
    if target in NEEDS_JUSTIFICATION and cleaned is None:
        raise JustificationRequired(target.value)
    return StatusMove(current, target, cleaned)
