"""Task services: change a control task's status and record who did it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from workflows.errors import UnknownTask
from workflows.models import ControlTask, Release, StatusChange
from workflows.status import NEEDS_JUSTIFICATION, ChangeSource, ControlStatus, plan_move


def get_task(*, session: Session, release: Release, control_id: str) -> ControlTask:
    """The release's task for a control id (case-insensitive), or UnknownTask."""
    wanted = control_id.strip().upper()
    task = session.exec(
        select(ControlTask).where(
            ControlTask.release_id == release.id, ControlTask.control_id == wanted
        )
    ).first()
    if task is None:
        raise UnknownTask(release.slug, wanted)
    return task


def set_status(
    *,
    session: Session,
    task: ControlTask,
    status: ControlStatus,
    actor: str,
    source: ChangeSource,
    now: datetime,
    note: str | None = None,
) -> StatusChange | None:
    """Move a task if the table allows it and add the audit row (caller commits); repeat = None."""
    move = plan_move(ControlStatus(task.status), status, note=note)
    if move is None:
        return None
    assert task.id is not None
    change = StatusChange(
        task_id=task.id,
        from_status=move.from_status,
        to_status=move.to_status,
        actor=actor,
        source=source,
        note=move.note,
        at=now,
    )
    task.status = move.to_status
    task.justification = move.note if move.to_status in NEEDS_JUSTIFICATION else None
    task.updated_at = now
    session.add_all([task, change])
    session.flush()
    return change


def task_history(*, session: Session, task: ControlTask) -> list[StatusChange]:
    """A task's audit trail, oldest first."""
    query = select(StatusChange).where(StatusChange.task_id == task.id)
    return list(session.exec(query.order_by(StatusChange.at, StatusChange.id)).all())  # type: ignore[arg-type]
