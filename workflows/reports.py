"""A release's report as one frozen value: tasks, tracker links, last changes and crosswalks.

The dashboard, the API and every export render from this one model, so it is built with one
query per table (release's workspace, tasks, tracker items, last status changes), never one per
task, and the catalog is resolved once for the crosswalk columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from control_catalog import Catalog, CatalogError, Framework, Function, Kind, Priority
from control_catalog import resolve_catalog as _resolve_catalog
from workflows.models import (
    ControlTask,
    ItemKind,
    Release,
    ReleaseState,
    StatusChange,
    TrackerItem,
    Workspace,
    WorkspaceKind,
)
from workflows.progress import Progress, is_overdue, summarize
from workflows.releases import find_release, release_tasks
from workflows.status import ChangeSource, ControlStatus

Crosswalks = Mapping[Framework, tuple[str, ...]]
JSON_FORMAT = "controlbot-release-report"
JSON_FORMAT_VERSION = 1


@dataclass(frozen=True)
class LastChange:
    """Who last moved a task's status, through which door, and when."""

    actor: str
    at: datetime
    source: ChangeSource


@dataclass(frozen=True)
class ReportRow:
    """One control task as a report shows it, with its tracker link and crosswalk refs."""

    control_id: str
    title: str
    function: Function
    category: str
    priority: Priority
    kind: Kind
    status: ControlStatus
    owner: str | None
    due_date: date | None
    overdue: bool
    evidence: tuple[str, ...]
    justification: str | None
    tracker_url: str | None
    last_change: LastChange | None
    crosswalks: Crosswalks

    def refs(self, framework: Framework) -> tuple[str, ...]:
        """This control's refs in one framework (empty when none or the catalog is unknown)."""
        return self.crosswalks.get(framework, ())


@dataclass(frozen=True)
class ReleaseReport:
    """A release at one moment: identity, where it is tracked, progress and one row per control."""

    slug: str
    name: str
    version: str
    target_date: date | None
    state: ReleaseState
    catalog_ref: str
    catalog_title: str | None
    workspace_kind: WorkspaceKind
    workspace_name: str
    tracker_url: str | None
    created_at: datetime
    generated_at: datetime
    progress: Progress
    rows: tuple[ReportRow, ...]

    @property
    def crosswalks_known(self) -> bool:
        """Whether the release's catalog was found, so empty crosswalk cells mean 'none'."""
        return self.catalog_title is not None

    def by_function(self, function: Function) -> tuple[ReportRow, ...]:
        """The rows of one function, in plan order."""
        return tuple(r for r in self.rows if r.function is function)


def build_report(*, session: Session, release: Release | str, now: datetime) -> ReleaseReport:
    """Load everything a report shows for a release (object, slug or name) in four queries."""
    found = release if isinstance(release, Release) else find_release(session=session, ref=release)
    assert found.id is not None
    workspace = session.get(Workspace, found.workspace_id)
    assert workspace is not None
    tasks = release_tasks(session=session, release=found)
    parent_url, item_urls = _tracker_urls(session, found.id)
    changes = _last_changes(session, found.id)
    catalog = _catalog(found.catalog_ref)
    today = now.date()
    rows = tuple(
        _row(t, today, item_urls.get(t.id, parent_url), changes.get(t.id), catalog) for t in tasks
    )
    return ReleaseReport(
        slug=found.slug,
        name=found.name,
        version=found.version,
        target_date=found.target_date,
        state=ReleaseState(found.state),
        catalog_ref=found.catalog_ref,
        catalog_title=catalog.title if catalog is not None else None,
        workspace_kind=WorkspaceKind(workspace.kind),
        workspace_name=workspace.name,
        tracker_url=parent_url,
        created_at=found.created_at,
        generated_at=now,
        progress=summarize(tasks, today=today),
        rows=rows,
    )


def _row(
    task: ControlTask,
    today: date,
    tracker_url: str | None,
    change: LastChange | None,
    catalog: Catalog | None,
) -> ReportRow:
    """One task as a row; a control without its own item links to the release's parent item."""
    control = catalog.get(task.control_id) if catalog is not None else None
    return ReportRow(
        control_id=task.control_id,
        title=task.title,
        function=Function(task.function),
        category=task.category,
        priority=Priority(task.priority),
        kind=Kind(task.kind),
        status=ControlStatus(task.status),
        owner=task.owner,
        due_date=task.due_date,
        overdue=is_overdue(task, today=today),
        evidence=tuple(task.evidence),
        justification=task.justification,
        tracker_url=tracker_url,
        last_change=change,
        crosswalks=dict(control.crosswalks) if control is not None else {},
    )


def _tracker_urls(session: Session, release_id: int) -> tuple[str | None, dict[int | None, str]]:
    """The release's parent item URL and each task's first item URL, from one query."""
    query = (
        select(TrackerItem)
        .where(
            TrackerItem.release_id == release_id,
            col(TrackerItem.kind).in_([ItemKind.CONTROL, ItemKind.PARENT]),
            col(TrackerItem.url).is_not(None),
        )
        .order_by(col(TrackerItem.id))
    )
    parent: str | None = None
    by_task: dict[int | None, str] = {}
    for item in session.exec(query).all():
        assert item.url is not None
        if item.kind is ItemKind.PARENT:
            parent = parent or item.url
        elif item.task_id is not None:
            by_task.setdefault(item.task_id, item.url)
    return parent, by_task


def _last_changes(session: Session, release_id: int) -> dict[int | None, LastChange]:
    """The latest status change of every task of the release, from one windowed query."""
    rank = (
        sa.func.row_number()
        .over(
            partition_by=col(StatusChange.task_id),
            order_by=(col(StatusChange.at).desc(), col(StatusChange.id).desc()),
        )
        .label("rank")
    )
    ranked = (
        sa.select(
            col(StatusChange.task_id),
            col(StatusChange.actor),
            col(StatusChange.at),
            col(StatusChange.source),
            rank,
        )
        .join(ControlTask, col(ControlTask.id) == col(StatusChange.task_id))
        .where(col(ControlTask.release_id) == release_id)
        .subquery()
    )
    query = sa.select(ranked.c.task_id, ranked.c.actor, ranked.c.at, ranked.c.source).where(
        ranked.c.rank == 1
    )
    return {
        row.task_id: LastChange(actor=row.actor, at=row.at, source=ChangeSource(row.source))
        for row in session.connection().execute(query)
    }


def _catalog(ref: str) -> Catalog | None:
    """The release's catalog for crosswalks, or None when it can no longer be found."""
    try:
        return _resolve_catalog(ref)
    except CatalogError:
        return None


def report_data(report: ReleaseReport) -> dict[str, Any]:
    """The report as plain data (what to_json writes, for an API to return as is)."""
    p = report.progress
    return {
        "format": JSON_FORMAT,
        "format_version": JSON_FORMAT_VERSION,
        "generated_at": report.generated_at.isoformat(),
        "release": {
            "slug": report.slug,
            "name": report.name,
            "version": report.version,
            "target_date": report.target_date.isoformat() if report.target_date else None,
            "state": report.state.value,
            "catalog": report.catalog_ref,
            "catalog_title": report.catalog_title,
            "crosswalks_available": report.crosswalks_known,
            "workspace": {"kind": report.workspace_kind.value, "name": report.workspace_name},
            "tracker_url": report.tracker_url,
            "created_at": report.created_at.isoformat(),
        },
        "progress": {
            "total": p.total,
            "closed": p.closed,
            "percent": round(p.percent, 1),
            "high_total": p.high_total,
            "high_closed": p.high_closed,
            "overdue": p.overdue,
            "by_status": {s.value: n for s, n in p.by_status.items()},
        },
        "controls": [_row_data(r) for r in report.rows],
    }


def _row_data(row: ReportRow) -> dict[str, Any]:
    """One control as plain data."""
    change = row.last_change
    return {
        "control_id": row.control_id,
        "title": row.title,
        "function": row.function.value,
        "category": row.category,
        "priority": row.priority.value,
        "kind": row.kind.value,
        "status": row.status.value,
        "owner": row.owner,
        "due_date": row.due_date.isoformat() if row.due_date else None,
        "overdue": row.overdue,
        "evidence": list(row.evidence),
        "justification": row.justification,
        "tracker_url": row.tracker_url,
        "last_change": (
            {"actor": change.actor, "at": change.at.isoformat(), "source": change.source.value}
            if change
            else None
        ),
        "crosswalks": {f.value: list(row.refs(f)) for f in Framework},
    }
