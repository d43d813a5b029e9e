"""After a change in the database, ask for the tracker views to follow (through the outbox)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from workflows.models import ControlTask, Release, TrackerItem, Workspace, WorkspaceKind
from workflows.outbox import enqueue_view
from workflows.status import ChangeSource, ControlStatus
from workflows.tasks import set_status

ITEM_STATE = "item_state"
CHECKLIST = "checklist"
GATE = "gate"
OPEN_RELEASE = "open_release"
COMMENT = "comment"


def enqueue_views(*, session: Session, release: Release, now: datetime) -> None:
    """Refresh the release's checklist and gate (coalesced: one job each per release)."""
    workspace = session.get(Workspace, release.workspace_id)
    if workspace is None or workspace.kind is WorkspaceKind.LOCAL:
        return
    assert workspace.id is not None
    enqueue_view(
        session=session,
        workspace_id=workspace.id,
        kind=CHECKLIST,
        coalesce_key=f"checklist:{release.id}",
        now=now,
        payload={"release_id": release.id},
    )
    if release.gate_sha or release.pr_shas:
        enqueue_gate(session=session, release=release, now=now)


def enqueue_gate(*, session: Session, release: Release, now: datetime) -> None:
    """Re-evaluate the release's gate (coalesced: one job per release)."""
    enqueue_view(
        session=session,
        workspace_id=release.workspace_id,
        kind=GATE,
        coalesce_key=f"gate:{release.id}",
        now=now,
        payload={"release_id": release.id},
    )


def task_items(*, session: Session, task: ControlTask) -> list[TrackerItem]:
    """The tracker items that mirror one task (its own issue in each tracker)."""
    return list(session.exec(select(TrackerItem).where(TrackerItem.task_id == task.id)).all())


def enqueue_task_views(*, session: Session, task: ControlTask, now: datetime) -> None:
    """Make the task's own items, the checklist and the gate show the task's current status."""
    release = session.get(Release, task.release_id)
    assert release is not None
    for item in task_items(session=session, task=task):
        enqueue_view(
            session=session,
            workspace_id=release.workspace_id,
            kind=ITEM_STATE,
            coalesce_key=f"item_state:{item.id}",
            now=now,
            payload={"item_id": item.id},
        )
    enqueue_views(session=session, release=release, now=now)


def change_status(
    *,
    session: Session,
    task: ControlTask,
    status: ControlStatus,
    actor: str,
    source: ChangeSource,
    now: datetime,
    note: str | None = None,
    commit: bool = True,
) -> bool:
    """Apply a status change with its audit row and the view updates, in one transaction."""
    change = set_status(
        session=session, task=task, status=status, actor=actor, source=source, now=now, note=note
    )
    if change is None:
        return False
    enqueue_task_views(session=session, task=task, now=now)
    if commit:
        session.commit()
    return True
