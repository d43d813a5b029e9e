"""Run a comment command (`/controls done`, `na`, ...) after checking the author may write."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from integrations import ItemRef, Tracker, TrackerRejected
from integrations.capabilities import Assignable, IssuePermission, RepositoryAccess
from workflows.errors import WorkflowError
from workflows.inbound import find_item
from workflows.mirror import change_status
from workflows.models import ControlTask, ItemKind, OutboxItem, Release, TrackerItem, Workspace
from workflows.opening import StartRequest, request_start
from workflows.progress import summarize
from workflows.releases import release_tasks
from workflows.status import ChangeSource, ControlStatus
from workflows.tasks import get_task

RUN_COMMAND = "command"
WRITE_ROLES = frozenset({"admin", "maintain", "write"})
STATUS_FOR = {
    "done": ControlStatus.DONE,
    "na": ControlStatus.NOT_APPLICABLE,
    "block": ControlStatus.BLOCKED,
    "unblock": ControlStatus.IN_PROGRESS,
}


class CommandRefused(Exception):
    """The command cannot run here; the message is the reply."""


def run_command_job(*, session: Session, job: OutboxItem, tracker: Tracker, now: datetime) -> None:
    """Check the author's permission, run the command, acknowledge or explain."""
    data: dict[str, Any] = dict(job.payload)
    ref = ItemRef(tracker.name, data["external_id"], "")
    author = str(data["author"])
    if not isinstance(tracker, RepositoryAccess):
        raise WorkflowError("this tracker cannot check permissions for commands")
    if not _may_act(tracker, ref, author):
        tracker.comment(
            ref,
            f"Sorry @{author}, only people with write access can run `/controls` commands here.",
        )
        return
    try:
        reply = _run(session, job, data, now, tracker)
    except (CommandRefused, WorkflowError, TrackerRejected) as exc:
        session.rollback()
        tracker.comment(ref, f"@{author} {exc}")
        return
    if data.get("comment_id"):
        tracker.react(int(data["comment_id"]), "+1")
    if reply:
        tracker.comment(ref, reply)


def _may_act(tracker: RepositoryAccess, ref: ItemRef, author: str) -> bool:
    """Write access to the repository, or (Jira) edit rights on the issue itself."""
    if isinstance(tracker, IssuePermission):
        return tracker.can_edit(ref, author)
    return tracker.permission(author) in WRITE_ROLES


def _run(
    session: Session, job: OutboxItem, data: dict[str, Any], now: datetime, tracker: Tracker
) -> str | None:
    """Apply the command; returns a reply for commands that answer with text."""
    name = data["name"]
    if name == "start":
        return _start(session, job, data, now)
    task, release = _target(session, data, tracker_name=str(data.get("tracker", "github")))
    author = str(data["author"])
    if name in STATUS_FOR:
        changed = change_status(
            session=session,
            task=task,
            status=STATUS_FOR[name],
            actor=author,
            source=ChangeSource.COMMAND,
            now=now,
            note=data.get("reason"),
        )
        return None if changed else f"{task.control_id} is already {task.status.value}."
    reply: str | None = None
    if name == "evidence":
        task.evidence = [*task.evidence, str(data["url"])]
    elif name == "assign":
        task.owner = str(data["user"])
        _assign_items(session, task, tracker, task.owner)
    elif name == "status":
        return _status(session, release, now)
    elif name == "snooze":
        task.snoozed_until = now + timedelta(days=int(data["days"]))
        until = f"{task.snoozed_until:%Y-%m-%d %H:%M} UTC"
        reply = f"Reminders for {task.control_id} are snoozed until {until}."
    else:
        raise CommandRefused(f"`/controls {name}` is not available yet.")
    task.updated_at = now
    session.add(task)
    session.commit()
    return reply


def _assign_items(session: Session, task: ControlTask, tracker: Tracker, login: str) -> None:
    """Assign the control's own item too: by GitHub login, Jira accountId or Jira username."""
    if not isinstance(tracker, Assignable):
        return
    items = session.exec(
        select(TrackerItem).where(
            TrackerItem.task_id == task.id, TrackerItem.tracker == tracker.name
        )
    ).all()
    for item in items:
        if item.external_id:
            ref = ItemRef(item.tracker, item.external_id, item.url or "", item.internal_id)
            tracker.set_assignees(ref, [login.removeprefix("@")])


def _start(session: Session, job: OutboxItem, data: dict[str, Any], now: datetime) -> str:
    """Queue a release start in this workspace."""
    workspace = session.get(Workspace, job.workspace_id)
    assert workspace is not None
    start = dict(data["start"])
    slug = request_start(
        session=session,
        workspace=workspace,
        request=StartRequest.from_payload(
            {
                **start,
                "actor": data["author"],
                "reply_to": data["external_id"],
                "gate_ref": data.get("default_branch"),
            }
        ),
        now=now,
    )
    session.commit()
    return f"Starting release **{slug}**: the issues will appear shortly."


def _target(
    session: Session, data: dict[str, Any], *, tracker_name: str
) -> tuple[ControlTask, Release]:
    """The task a command is about: the commented issue's control, or the id named on a tracker."""
    item = find_item(session=session, tracker=tracker_name, external_id=str(data["external_id"]))
    if item is None:
        raise CommandRefused(
            "this issue is not tracked by controlbot; "
            "use `/controls start NAME VERSION` to open a release."
        )
    release = session.get(Release, item.release_id)
    assert release is not None
    if item.kind is ItemKind.PARENT and data.get("control_id"):
        return get_task(
            session=session, release=release, control_id=str(data["control_id"])
        ), release
    if item.kind is ItemKind.PARENT:
        if data["name"] == "status":
            return release_tasks(session=session, release=release)[0], release
        raise CommandRefused(
            "name the control on the release tracker, e.g. `/controls done GV-1.1`."
        )
    task = session.get(ControlTask, item.task_id)
    assert task is not None
    return task, release


def _status(session: Session, release: Release, now: datetime) -> str:
    """A short progress report."""
    progress = summarize(release_tasks(session=session, release=release), today=now.date())
    return (
        f"**{release.slug}**: {progress.closed}/{progress.total} controls closed "
        f"({progress.percent:.0f}%), high priority {progress.high_closed}/{progress.high_total}, "
        f"{progress.overdue} overdue."
    )
