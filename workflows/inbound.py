"""Apply what people did in a tracker (close, reopen, tick, transition) to the control tasks.

These functions leave the commit to their caller, so a webhook's delivery record, the status
change, its audit row and the queued view updates commit together.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from integrations import WorkState
from workflows.errors import WorkflowError
from workflows.mirror import COMMENT, change_status, task_items
from workflows.models import ControlTask, ItemKind, Release, TrackerItem
from workflows.outbox import enqueue
from workflows.status import CLOSED, ChangeSource, ControlStatus

CLOSE_REASON = "close_reason"


@dataclass(frozen=True)
class Outcome:
    """What an inbound event did, for the delivery log and the webhook answer."""

    applied: bool
    detail: str


def find_item(*, session: Session, tracker: str, external_id: str) -> TrackerItem | None:
    """The stored item a tracker event is about, or None if controlbot did not make it."""
    query = select(TrackerItem).where(
        TrackerItem.tracker == tracker, TrackerItem.external_id == external_id
    )
    return session.exec(query).first()


def apply_remote_state(
    *,
    session: Session,
    tracker: str,
    external_id: str,
    state: WorkState,
    actor: str,
    at: datetime,
    now: datetime,
    note: str | None = None,
) -> Outcome:
    """Move the item's task to the state the tracker shows, unless the event is stale."""
    item = find_item(session=session, tracker=tracker, external_id=external_id)
    if item is None or item.task_id is None:
        return Outcome(False, f"{external_id} is not a control item")
    if item.remote_updated_at is not None and at <= item.remote_updated_at:
        return Outcome(False, f"stale event for {external_id}: a newer change was applied")
    item.remote_updated_at = at
    session.add(item)
    task = session.get(ControlTask, item.task_id)
    assert task is not None
    return _move(session, task, ControlStatus(state.value), actor, now, note, external_id)


def apply_github_close(
    *,
    session: Session,
    external_id: str,
    reason: str | None,
    actor: str,
    at: datetime,
    now: datetime,
) -> Outcome:
    """Closed as completed means done; as not planned, N/A once a justification is found."""
    if reason == "duplicate":
        return Outcome(False, "closed as duplicate: not counted as done")
    if reason != "not_planned":
        return apply_remote_state(
            session=session,
            tracker="github",
            external_id=external_id,
            state=WorkState.DONE,
            actor=actor,
            at=at,
            now=now,
        )
    item = find_item(session=session, tracker="github", external_id=external_id)
    if item is None or item.task_id is None:
        return Outcome(False, f"{external_id} is not a control item")
    release = session.get(Release, item.release_id)
    assert release is not None
    enqueue(
        session=session,
        workspace_id=release.workspace_id,
        kind=CLOSE_REASON,
        key=f"close_reason:{item.id}:{at.isoformat()}",
        now=now,
        payload={"item_id": item.id, "author": actor},
    )
    return Outcome(True, "closed as not planned: looking for the justification")


def apply_ticks(
    *,
    session: Session,
    tracker: str,
    parent_external_id: str,
    ticks: Mapping[str, bool],
    actor: str,
    now: datetime,
) -> Outcome:
    """A box ticked in the parent's checklist marks its control done; unticked reopens it."""
    parent = find_item(session=session, tracker=tracker, external_id=parent_external_id)
    if parent is None or parent.kind is not ItemKind.PARENT:
        return Outcome(False, f"{parent_external_id} is not a release tracker")
    moved: list[str] = []
    refused: list[str] = []
    for key, checked in sorted(ticks.items()):
        task = session.exec(
            select(ControlTask).where(
                ControlTask.release_id == parent.release_id, ControlTask.key == key
            )
        ).first()
        if (
            task is None
            or (checked and task.status in CLOSED)
            or (not checked and task.status not in CLOSED)
        ):
            continue
        outcome = _move(
            session,
            task,
            ControlStatus.DONE if checked else ControlStatus.TODO,
            actor,
            now,
            None,
            key,
        )
        (moved if outcome.applied else refused).append(task.control_id)
    if not moved and not refused:
        return Outcome(False, "no checklist change to apply")
    detail = f"ticks applied: {', '.join(moved) or 'none'}"
    return Outcome(bool(moved), detail + (f"; refused: {', '.join(refused)}" if refused else ""))


def _move(
    session: Session,
    task: ControlTask,
    status: ControlStatus,
    actor: str,
    now: datetime,
    note: str | None,
    where: str,
) -> Outcome:
    """Change the task's status from a tracker event (the caller commits); refusals are explained.

    The status table refuses a move before anything is written, so nothing needs undoing.
    """
    try:
        changed = change_status(
            session=session,
            task=task,
            status=status,
            actor=actor,
            source=ChangeSource.WEBHOOK,
            now=now,
            note=note,
            commit=False,
        )
    except WorkflowError as exc:
        _explain(session, task, str(exc), now)
        return Outcome(False, f"{task.control_id}: {exc}")
    if not changed:
        return Outcome(False, f"{task.control_id} already {status.value}")
    return Outcome(True, f"{task.control_id} -> {status.value} ({where})")


def _explain(session: Session, task: ControlTask, reason: str, now: datetime) -> None:
    """Queue a comment on the task's items saying why a tracker change was not applied."""
    release = session.get(Release, task.release_id)
    assert release is not None
    for item in task_items(session=session, task=task):
        enqueue(
            session=session,
            workspace_id=release.workspace_id,
            kind=COMMENT,
            key=f"explain:{item.id}:{now.isoformat()}",
            now=now,
            payload={
                "item_id": item.id,
                "body": f"controlbot did not apply this change: {reason}.",
            },
        )
