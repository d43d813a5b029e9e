"""How releases and tasks look in a tracker: titles, bodies, labels, checklist lines (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from integrations.capabilities import LabelSpec
from integrations.github.checklist import ChecklistLine, render_section
from workflows.models import ControlTask, Release, TrackerItem
from workflows.progress import Progress
from workflows.status import ControlStatus

BOT_LABEL = "controlbot"
FUNCTION_COLORS = {"govern": "5319e7", "map": "1d76db", "measure": "0e8a16", "manage": "d93f0b"}
HELP_FOOTER = (
    "Close this issue as *completed* when the control is done, or as *not planned* with a "
    "comment saying why it does not apply. Comment `/controls help` for commands. "
    "Configure controlbot in `.github/controlbot.yml`."
)


def milestone_title(release: Release) -> str:
    """The milestone (GitHub) or version (Jira) that groups a release's items."""
    return f"{release.name} {release.version}"


def parent_title(release: Release, index: int = 1) -> str:
    """Title of the release's tracker issue (a second one past 100 sub-issues gets a number)."""
    suffix = f" (part {index})" if index > 1 else ""
    return f"Profile controls: {release.name} {release.version}{suffix}"


def item_title(task: ControlTask) -> str:
    """Title of a control's own issue."""
    return f"{task.control_id} {task.title}"


def task_labels(task: ControlTask, extra: Sequence[str] = ()) -> tuple[str, ...]:
    """Labels for a control's issue: the bot's, its function's, its priority's, and the config's."""
    return (BOT_LABEL, f"controls:{task.function.value}", f"priority:{task.priority.value}", *extra)


def all_labels(extra: Sequence[str] = ()) -> list[LabelSpec]:
    """Every label the bot may use in a repository."""
    specs = [LabelSpec(BOT_LABEL, "ededed", "Tracked by controlbot")]
    specs += [
        LabelSpec(f"controls:{f}", c, f"Profile {f} function") for f, c in FUNCTION_COLORS.items()
    ]
    specs += [LabelSpec("priority:high", "b60205"), LabelSpec("priority:standard", "c5def5")]
    return specs + [LabelSpec(name, "ededed") for name in extra]


def item_body(task: ControlTask, release: Release) -> str:
    """The body of a control's issue: guidance, due date, how to close it."""
    due = task.due_date.isoformat() if task.due_date else "no due date"
    return "\n\n".join(
        [
            f"**{task.control_id}** ({task.function.value}, category {task.category}, "
            f"{task.priority.value} priority) for **{release.name} {release.version}**, due {due}.",
            task.guidance or "See the control catalog for guidance.",
            HELP_FOOTER,
        ]
    )


def parent_intro(release: Release) -> str:
    """The part of the parent issue above the bot's checklist section."""
    target = release.target_date.isoformat() if release.target_date else "not set"
    return (
        f"Risk controls from `{release.catalog_ref}` for **{release.name} {release.version}** "
        f"(target date {target}). controlbot keeps the checklist below in sync: tick a box "
        "when a control is done. Text outside the checklist is yours."
    )


def summary_line(progress: Progress, problems: Sequence[str], opening: str | None = None) -> str:
    """The progress line at the top of the checklist, plus config problems and sync progress."""
    line = (
        f"**Progress: {progress.closed}/{progress.total} closed ({progress.percent:.0f}%)** · "
        f"high priority {progress.high_closed}/{progress.high_total} · {progress.overdue} overdue"
    )
    notes = [f"> {opening}"] if opening else []
    notes += [f"> ⚠️ Config problem: {p}" for p in problems]
    return "\n".join([line, *notes])


def checklist_lines(
    tasks: Sequence[ControlTask], items: Mapping[int, TrackerItem]
) -> list[ChecklistLine]:
    """One line per task, ticked when closed; linked to the task's own issue when it has one."""
    lines = []
    for task in tasks:
        item = items.get(task.id or -1)
        note = None
        if task.status is ControlStatus.NOT_APPLICABLE:
            note = f"not applicable: {task.justification}"
        elif task.status in (ControlStatus.BLOCKED, ControlStatus.IN_PROGRESS):
            note = task.status.value.replace("_", " ")
        lines.append(
            ChecklistLine(
                key=task.key,
                control_id=task.control_id,
                title=task.title,
                group=task.function.value.capitalize(),
                checked=task.status in (ControlStatus.DONE, ControlStatus.NOT_APPLICABLE),
                note=note,
                link=_short_link(item),
            )
        )
    return lines


def checklist_section(
    tasks: Sequence[ControlTask],
    items: Mapping[int, TrackerItem],
    progress: Progress,
    problems: Sequence[str],
    opening: str | None = None,
) -> str:
    """The whole bot-owned section of the parent issue."""
    summary = summary_line(progress, problems, opening)
    return render_section(summary, checklist_lines(tasks, items))


def _short_link(item: TrackerItem | None) -> str | None:
    """`#12` for a GitHub issue in the same repository."""
    if item is None or item.external_id is None:
        return None
    return "#" + item.external_id.rsplit("#", 1)[-1]
