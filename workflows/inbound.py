"""Apply what people did in a tracker (close, reopen, tick, transition) to the control tasks.

These functions leave the commit to their caller, so a webhook's delivery record, the status
change, its audit row and the queued view updates commit together.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, update
from sqlalchemy import select as core_select
from sqlmodel import Session, select

from integrations import WorkState
from workflows.errors import WorkflowError
from workflows.mirror import CHECKLIST, COMMENT, GATE, ITEM_STATE, change_status, task_items
from workflows.models import (
    ControlTask,
    ItemKind,
    OutboxItem,
    OutboxState,
    Release,
    StatusChange,
    TrackerItem,
    Workspace,
    WorkspaceKind,
)
from workflows.outbox import enqueue
from workflows.status import (
    CLOSED,
    NEEDS_JUSTIFICATION,
    ChangeSource,
    ControlStatus,
    StatusMove,
    plan_move,
)

CLOSE_REASON = "close_reason"
OUTBOX = OutboxItem.__table__  # type: ignore[attr-defined]


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
    """Move the item's task to the state the tracker shows, unless the event is stale.

    This runs for every close, reopen and Jira transition, so it speaks SQL directly: one query
    finds the item, its task, release, workspace and the task's other items, and the writes are
    those of `mirror.change_status` (task, audit row, view jobs) without the ORM's bookkeeping.
    """
    session.flush()  # as the ORM's autoflush would: the caller's pending changes go first
    rows = _control_rows(session, tracker, external_id)
    if not rows:
        return Outcome(False, f"{external_id} is not a control item")
    hit = rows[0]
    if hit.remote_updated_at is not None and at <= hit.remote_updated_at:
        return Outcome(False, f"stale event for {external_id}: a newer change was applied")
    connection = session.connection()
    connection.execute(_SEEN, {"item_id": hit.item_id, "remote_updated_at": at})
    _forget(session, hit)
    status = ControlStatus(state.value)
    try:
        move = plan_move(ControlStatus(hit.status), status, note=note)
    except WorkflowError as exc:
        task = session.get(ControlTask, hit.task_id)
        assert task is not None
        _explain(session, task, str(exc), now)
        return Outcome(False, f"{hit.control_id}: {exc}")
    if move is None:
        return Outcome(False, f"{hit.control_id} already {status.value}")
    _record_move(connection, hit, move, actor, now)
    connection.execute(OUTBOX.insert(), _view_jobs(rows, now))
    return Outcome(True, f"{hit.control_id} -> {status.value} ({external_id})")


_ITEM, _TASK = TrackerItem.__table__, ControlTask.__table__  # type: ignore[attr-defined]
_RELEASE, _WORKSPACE = Release.__table__, Workspace.__table__  # type: ignore[attr-defined]
_SIBLING = _ITEM.alias("sibling")
_CONTROL_ROWS = (
    core_select(
        _ITEM.c.id.label("item_id"),
        _ITEM.c.remote_updated_at,
        _TASK.c.id.label("task_id"),
        _TASK.c.status,
        _TASK.c.control_id,
        _TASK.c.release_id,
        _RELEASE.c.workspace_id,
        _RELEASE.c.gate_sha,
        _RELEASE.c.pr_shas,
        _WORKSPACE.c.kind.label("workspace_kind"),
        _SIBLING.c.id.label("sibling_id"),
    )
    .select_from(_ITEM)
    .join(_TASK, _TASK.c.id == _ITEM.c.task_id)
    .join(_RELEASE, _RELEASE.c.id == _TASK.c.release_id)
    .outerjoin(_WORKSPACE, _WORKSPACE.c.id == _RELEASE.c.workspace_id)
    .join(_SIBLING, _SIBLING.c.task_id == _TASK.c.id)
    .where(_ITEM.c.tracker == bindparam("tracker"), _ITEM.c.external_id == bindparam("ref"))
    .order_by(_ITEM.c.id, _SIBLING.c.id)
)
_SEEN = update(_ITEM).where(_ITEM.c.id == bindparam("item_id"))
_MOVE = update(_TASK).where(_TASK.c.id == bindparam("task_id"))
_AUDIT = StatusChange.__table__.insert()  # type: ignore[attr-defined]


def _control_rows(session: Session, tracker: str, external_id: str) -> list[Row[Any]]:
    """The control item with its task, release, workspace: a row per item of the task; [] if none.

    The task's items (`sibling_id`) come in the same query, so the view jobs need no other.
    """
    params = {"tracker": tracker, "ref": external_id}
    rows: list[Row[Any]] = list(session.connection().execute(_CONTROL_ROWS, params))
    return [r for r in rows if r.item_id == rows[0].item_id]


def _record_move(
    connection: Connection, hit: Row[Any], move: StatusMove, actor: str, now: datetime
) -> None:
    """The task's new status and its audit row, as `tasks.set_status` writes them."""
    justification = move.note if move.to_status in NEEDS_JUSTIFICATION else None
    values = {"status": move.to_status, "justification": justification, "updated_at": now}
    connection.execute(_MOVE, {"task_id": hit.task_id, **values})
    audit = {"task_id": hit.task_id, "from_status": move.from_status, "to_status": move.to_status}
    audit |= {"actor": actor, "source": ChangeSource.WEBHOOK, "note": move.note, "at": now}
    connection.execute(_AUDIT, audit)


def _view_jobs(rows: list[Row[Any]], now: datetime) -> list[dict[str, Any]]:
    """The view jobs `mirror.enqueue_task_views` queues, as `outbox.enqueue_view` writes them."""
    hit = rows[0]
    release = hit.release_id
    jobs = [(ITEM_STATE, f"item_state:{r.sibling_id}", {"item_id": r.sibling_id}) for r in rows]
    if hit.workspace_kind is not None and hit.workspace_kind != WorkspaceKind.LOCAL:
        jobs.append((CHECKLIST, f"checklist:{release}", {"release_id": release}))
        if hit.gate_sha or hit.pr_shas:
            jobs.append((GATE, f"gate:{release}", {"release_id": release}))
    pending = {"state": OutboxState.PENDING.value, "attempts": 0, "version": 1}
    times = {"next_attempt_at": now, "created_at": now, "updated_at": now}
    return [
        {"key": f"{key}#{uuid.uuid4().hex}", "coalesce_key": key, "kind": kind, "payload": payload}
        | {"workspace_id": hit.workspace_id, **pending, **times}
        for kind, key, payload in jobs
    ]


def _forget(session: Session, hit: Row[Any]) -> None:
    """Expire the item and task if this session holds them: their rows were written in SQL."""
    for model, key in ((TrackerItem, hit.item_id), (ControlTask, hit.task_id)):
        held = session.identity_map.get(session.identity_key(model, key))
        if held is not None:
            session.expire(held)


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
