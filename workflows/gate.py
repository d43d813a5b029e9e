"""The release gate: ready only when every required control is closed (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from control_catalog import Priority
from workflows.models import ControlTask
from workflows.repo_config import GateRequirement
from workflows.status import ControlStatus

GATE_NAME = "Profile controls"
SUCCESS = "success"
ACTION_REQUIRED = "action_required"


@dataclass(frozen=True)
class GateVerdict:
    """What the check run should say."""

    conclusion: str
    title: str
    summary: str


def is_closed(task: ControlTask) -> bool:
    """Done, or not applicable with a written justification."""
    if task.status is ControlStatus.DONE:
        return True
    return task.status is ControlStatus.NOT_APPLICABLE and bool((task.justification or "").strip())


def evaluate_gate(
    tasks: Sequence[ControlTask], *, requirement: GateRequirement, problems: Sequence[str]
) -> GateVerdict:
    """Success only when every required control is closed and the config has no problems."""
    required = [
        t for t in tasks if requirement is GateRequirement.ALL or t.priority is Priority.HIGH
    ]
    open_tasks = [t for t in required if not is_closed(t)]
    closed = len(required) - len(open_tasks)
    counts = f"{closed}/{len(required)} required controls closed"
    if not open_tasks and not problems:
        return GateVerdict(
            SUCCESS, f"Ready: {counts}", f"All {len(required)} required controls are closed."
        )
    title = f"Not ready: {counts}" + (f", {len(problems)} config problems" if problems else "")
    return GateVerdict(ACTION_REQUIRED, title, _summary(open_tasks, problems))


def _summary(open_tasks: Sequence[ControlTask], problems: Sequence[str]) -> str:
    """A Markdown summary: config problems first, then a table of the controls still open."""
    parts: list[str] = []
    if problems:
        parts.append("**Config problems** (fix `.github/controlbot.yml`):")
        parts.extend(f"- {p}" for p in problems)
        parts.append("")
    if open_tasks:
        parts.append("| Control | Title | Status | Due |")
        parts.append("|---|---|---|---|")
        for task in open_tasks:
            due = task.due_date.isoformat() if task.due_date else "-"
            parts.append(
                f"| {task.control_id} | {_cell(task.title)} | {task.status.value} | {due} |"
            )
    return "\n".join(parts)


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")
