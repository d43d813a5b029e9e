"""Move a release's target date: open tasks' due dates follow, and the tracker is told why."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, select

from workflows.mirror import COMMENT, enqueue_views
from workflows.models import ItemKind, Release, TrackerItem
from workflows.outbox import enqueue
from workflows.planning import due_date
from workflows.releases import release_tasks
from workflows.repo_config import RepoConfig
from workflows.status import CLOSED


def retarget_release(
    *, session: Session, release: Release, target_date: date, actor: str, now: datetime
) -> int:
    """Set the new target date and move every open task's due date; returns how many moved."""
    offsets = RepoConfig.model_validate(release.config).due_offsets
    previous = release.target_date
    moved = 0
    for task in release_tasks(session=session, release=release):
        new_due = due_date(task.control_id, task.function, target_date, offsets)
        if task.status in CLOSED or task.due_date == new_due:
            continue
        task.due_date, task.updated_at = new_due, now
        session.add(task)
        moved += 1
    release.target_date, release.updated_at = target_date, now
    session.add(release)
    _tell_trackers(session, release, previous, target_date, moved, actor, now)
    session.commit()
    return moved


def _tell_trackers(
    session: Session,
    release: Release,
    previous: date | None,
    target: date,
    moved: int,
    actor: str,
    now: datetime,
) -> None:
    """A comment on the release tracker(s), and a refreshed checklist."""
    parents = session.exec(
        select(TrackerItem).where(
            TrackerItem.release_id == release.id, TrackerItem.kind == ItemKind.PARENT
        )
    ).all()
    before = previous.isoformat() if previous else "no target date"
    body = (
        f"{actor} moved the target date of **{release.name} {release.version}** from {before} "
        f"to {target.isoformat()}: {moved} open controls got new due dates."
    )
    for parent in parents:
        if parent.external_id:
            enqueue(
                session=session,
                workspace_id=release.workspace_id,
                kind=COMMENT,
                key=f"retarget:{release.id}:{target.isoformat()}:{parent.id}",
                now=now,
                payload={"external_id": parent.external_id, "body": body},
            )
    enqueue_views(session=session, release=release, now=now)
