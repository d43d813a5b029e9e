"""Release services: open a release from a plan, find it again, list its tasks."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from control_catalog import Catalog
from workflows.errors import ReleaseExists, UnknownRelease
from workflows.models import ControlTask, Release, ReleaseState, Workspace, WorkspaceKind
from workflows.planning import (
    DEFAULT_DUE_OFFSETS,
    PlannedTask,
    Selection,
    plan_release,
    release_slug,
    task_key,
)

LOCAL_WORKSPACE = "local"


def ensure_workspace(
    *, session: Session, kind: WorkspaceKind, name: str, now: datetime
) -> Workspace:
    """The workspace of this kind and name, created on first use."""
    found = session.exec(
        select(Workspace).where(Workspace.kind == kind, Workspace.name == name)
    ).first()
    if found is not None:
        return found
    workspace = Workspace(kind=kind, name=name, created_at=now)
    session.add(workspace)
    session.commit()
    session.refresh(workspace)
    return workspace


def create_release(
    *,
    session: Session,
    workspace: Workspace,
    catalog: Catalog,
    name: str,
    version: str,
    actor: str,
    now: datetime,
    target_date: date | None = None,
    selection: Selection | None = None,
    due_offsets: Mapping[str, int] = DEFAULT_DUE_OFFSETS,
) -> Release:
    """Plan a release and store it with one task per planned control, in one transaction."""
    selection = selection or Selection()
    plan = plan_release(
        catalog, selection=selection, target_date=target_date, due_offsets=due_offsets
    )
    slug = release_slug(name, version)
    assert workspace.id is not None
    release = Release(
        workspace_id=workspace.id,
        slug=slug,
        name=name,
        version=version,
        target_date=target_date,
        catalog_ref=catalog.ref,
        selection=selection.to_json(),
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(release)
    try:
        session.flush()
        session.add_all(_tasks(release, plan, now))
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ReleaseExists(slug) from None
    session.refresh(release)
    return release


def _tasks(release: Release, plan: list[PlannedTask], now: datetime) -> list[ControlTask]:
    """The task rows for a stored release's plan."""
    assert release.id is not None
    return [
        ControlTask(
            release_id=release.id,
            key=task_key(release.slug, p.control.id),
            control_id=p.control.id,
            position=p.position,
            title=p.control.title,
            guidance=p.control.guidance,
            function=p.control.function,
            category=p.control.category,
            priority=p.control.priority,
            kind=p.control.kind,
            due_date=p.due_date,
            created_at=now,
            updated_at=now,
        )
        for p in plan
    ]


def find_release(*, session: Session, ref: str) -> Release:
    """The release with this slug, or the only one with this name; otherwise UnknownRelease."""
    by_slug = session.exec(select(Release).where(Release.slug == ref.strip().lower())).all()
    if len(by_slug) == 1:
        return by_slug[0]
    by_name = session.exec(select(Release).where(Release.name == ref.strip())).all()
    if len(by_name) == 1:
        return by_name[0]
    candidates = sorted(r.slug for r in [*by_slug, *by_name])
    raise UnknownRelease(ref, candidates)


def list_releases(*, session: Session) -> list[Release]:
    """Every release, newest first."""
    return list(session.exec(select(Release).order_by(col(Release.created_at).desc())).all())


def release_tasks(*, session: Session, release: Release) -> list[ControlTask]:
    """A release's tasks in plan order."""
    query = select(ControlTask).where(ControlTask.release_id == release.id)
    return list(session.exec(query.order_by(col(ControlTask.position))).all())


def close_release(*, session: Session, release: Release, now: datetime) -> bool:
    """Mark a release closed (reminders and reviews skip it); a repeat changes nothing."""
    if release.state is ReleaseState.CLOSED:
        return False
    release.state = ReleaseState.CLOSED
    release.updated_at = now
    session.add(release)
    session.commit()
    return True
