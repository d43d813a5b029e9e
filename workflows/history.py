"""What happened, for the dashboard: a control across releases, the audit log, burndown inputs.

Every query is narrowed to the releases the principal may see, and each page takes a fixed
number of queries (never one per task or per release).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from workflows.access import Principal, visible_releases
from workflows.burndown import TaskTimeline
from workflows.models import ControlTask, Release, ReleaseState, StatusChange
from workflows.status import ChangeSource, ControlStatus

AUDIT_PAGE_SIZE = 50
HISTORY_PAGE_SIZE = 25
_Move = tuple[datetime, ControlStatus, ControlStatus]


@dataclass(frozen=True)
class Change:
    """One audit row, as the history and the audit log show it."""

    at: datetime
    actor: str
    source: ChangeSource
    from_status: ControlStatus
    to_status: ControlStatus
    note: str | None


@dataclass(frozen=True)
class ControlInRelease:
    """A control's task in one release, with its audit trail (oldest first)."""

    release_id: int
    release_name: str
    release_version: str
    release_state: ReleaseState
    target_date: date | None
    title: str
    status: ControlStatus
    owner: str | None
    due_date: date | None
    justification: str | None
    evidence: tuple[str, ...]
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class AuditEntry:
    """One status change with the control and release it belongs to."""

    change: Change
    control_id: str
    title: str
    release_id: int
    release_name: str
    release_version: str


@dataclass(frozen=True)
class AuditPage:
    """One page of the audit log, newest first."""

    entries: tuple[AuditEntry, ...]
    page: int
    has_next: bool


def visible_release_ids(principal: Principal) -> SelectOfScalar[int | None]:
    """The ids of the releases a principal may see, as a subquery for `IN (...)`."""
    return visible_releases(select(col(Release.id)), principal)


def find_visible_release(
    *, session: Session, principal: Principal, release_id: int
) -> Release | None:
    """The release with this id if the principal may see it, else None (a 404, not a 403)."""
    query = visible_releases(select(Release).where(Release.id == release_id), principal)
    return session.exec(query).first()


def release_timelines(*, session: Session, release_id: int) -> list[TaskTimeline]:
    """Every task of a release with its status changes, for the burndown, in one query."""
    query = (
        sa.select(
            col(ControlTask.id),
            col(ControlTask.created_at),
            col(ControlTask.status),
            col(StatusChange.at),
            col(StatusChange.from_status),
            col(StatusChange.to_status),
        )
        .outerjoin(StatusChange, col(StatusChange.task_id) == col(ControlTask.id))
        .where(col(ControlTask.release_id) == release_id)
        .order_by(col(ControlTask.id), col(StatusChange.at), col(StatusChange.id))
    )
    created: dict[int | None, tuple[datetime, ControlStatus]] = {}
    changes: dict[int | None, list[tuple[datetime, ControlStatus, ControlStatus]]] = defaultdict(
        list
    )
    for task_id, created_at, status, at, before, after in session.connection().execute(query):
        created.setdefault(task_id, (created_at, ControlStatus(status)))
        if at is not None:
            changes[task_id].append((at, ControlStatus(before), ControlStatus(after)))
    return [
        TaskTimeline(created_at=at, status=status, changes=tuple(changes[task_id]))
        for task_id, (at, status) in created.items()
    ]


def _change(row: Any) -> Change:
    """A result row's status-change columns as a Change."""
    return Change(
        at=row.at,
        actor=row.actor,
        source=ChangeSource(row.source),
        from_status=ControlStatus(row.from_status),
        to_status=ControlStatus(row.to_status),
        note=row.note,
    )


_CHANGE_COLUMNS = (
    col(StatusChange.task_id),
    col(StatusChange.at),
    col(StatusChange.actor),
    col(StatusChange.source),
    col(StatusChange.from_status),
    col(StatusChange.to_status),
    col(StatusChange.note),
)


@dataclass(frozen=True)
class ControlHistory:
    """One page of a control's history: its task in each visible release, newest first."""

    entries: tuple[ControlInRelease, ...]
    page: int
    has_next: bool


_TASK_COLUMNS: tuple[Any, ...] = (
    col(ControlTask.id).label("task_id"),
    col(ControlTask.title),
    col(ControlTask.status),
    col(ControlTask.owner),
    col(ControlTask.due_date),
    col(ControlTask.justification),
    col(ControlTask.evidence),
    col(Release.id).label("release_id"),
    col(Release.name).label("release_name"),
    col(Release.version).label("release_version"),
    col(Release.state).label("release_state"),
    col(Release.target_date),
)


def control_history(
    *,
    session: Session,
    principal: Principal,
    control_id: str,
    page: int = 1,
    size: int = HISTORY_PAGE_SIZE,
) -> ControlHistory:
    """A control's task in the visible releases, newest release first (two queries a page)."""
    page = max(page, 1)
    columns: list[Any] = list(_TASK_COLUMNS)
    query = (
        sa.select(*columns)
        .join(Release, col(Release.id) == col(ControlTask.release_id))
        .where(
            col(ControlTask.control_id) == control_id,
            col(Release.id).in_(visible_release_ids(principal)),
        )
        .order_by(col(Release.created_at).desc(), col(Release.id).desc())
        .limit(size + 1)
        .offset((page - 1) * size)
    )
    rows = list(session.connection().execute(query))
    shown = rows[:size]
    trail: dict[int, list[Change]] = defaultdict(list)
    if shown:
        changes = (
            sa.select(*_CHANGE_COLUMNS)
            .where(col(StatusChange.task_id).in_([r.task_id for r in shown]))
            .order_by(col(StatusChange.at), col(StatusChange.id))
        )
        for row in session.connection().execute(changes):
            trail[row.task_id].append(_change(row))
    entries = tuple(_in_release(r, trail[r.task_id]) for r in shown)
    return ControlHistory(entries=entries, page=page, has_next=len(rows) > size)


def _in_release(row: Any, changes: list[Change]) -> ControlInRelease:
    """One release's task of a control, with its changes."""
    return ControlInRelease(
        release_id=row.release_id,
        release_name=row.release_name,
        release_version=row.release_version,
        release_state=ReleaseState(row.release_state),
        target_date=row.target_date,
        title=row.title,
        status=ControlStatus(row.status),
        owner=row.owner,
        due_date=row.due_date,
        justification=row.justification,
        evidence=tuple(row.evidence or ()),
        changes=tuple(changes),
    )


def audit_page(
    *,
    session: Session,
    principal: Principal,
    page: int = 1,
    release_id: int | None = None,
    actor: str | None = None,
    size: int = AUDIT_PAGE_SIZE,
) -> AuditPage:
    """One page of status changes in visible releases, newest first, optionally filtered."""
    page = max(page, 1)
    conditions: list[sa.ColumnElement[bool]] = [col(Release.id).in_(visible_release_ids(principal))]
    if release_id is not None:
        conditions.append(col(Release.id) == release_id)
    if actor:
        conditions.append(col(StatusChange.actor) == actor)
    columns: list[Any] = [
        *_CHANGE_COLUMNS,
        col(ControlTask.control_id),
        col(ControlTask.title),
        col(Release.id).label("release_id"),
        col(Release.name).label("release_name"),
        col(Release.version).label("release_version"),
    ]
    query = (
        sa.select(*columns)
        .join(ControlTask, col(ControlTask.id) == col(StatusChange.task_id))
        .join(Release, col(Release.id) == col(ControlTask.release_id))
        .where(*conditions)
        .order_by(col(StatusChange.at).desc(), col(StatusChange.id).desc())
        .limit(size + 1)
        .offset((page - 1) * size)
    )
    rows = list(session.connection().execute(query))
    entries = tuple(
        AuditEntry(
            change=_change(r),
            control_id=r.control_id,
            title=r.title,
            release_id=r.release_id,
            release_name=r.release_name,
            release_version=r.release_version,
        )
        for r in rows[:size]
    )
    return AuditPage(entries=entries, page=page, has_next=len(rows) > size)
