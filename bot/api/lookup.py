"""Find what an API call names, within what its caller may see: 404 for anything else."""

from __future__ import annotations

import re
from typing import Any

from fastapi import HTTPException
from sqlmodel import Session, col, select

from workflows.access import Principal, visible_releases
from workflows.models import ControlTask, Release, TrackerItem, Workspace

_RELEASE_ID = re.compile(r"[0-9]{1,9}")  # ASCII digits that fit a database integer
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no, unknown, revoked or expired token"},
    404: {"description": "no such release or task among the caller's workspaces"},
}


def visible_release(session: Session, principal: Principal, ref: str) -> Release:
    """The release with this id, slug or name among the caller's; 404, or 409 if ambiguous."""
    ref = ref.strip()
    if _RELEASE_ID.fullmatch(ref):
        found = session.get(Release, int(ref))
        if found is None or not principal.sees(found.workspace_id):
            raise HTTPException(404, f"no release {ref}")
        return found
    for column, value in ((Release.slug, ref.lower()), (Release.name, ref)):
        rows = session.exec(visible_releases(select(Release).where(column == value), principal))
        matches = list(rows.all())
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            ids = ", ".join(str(r.id) for r in matches)
            raise HTTPException(409, f"{ref!r} names several releases: use an id ({ids})")
    raise HTTPException(404, f"no release {ref!r}")


def release_task(session: Session, release: Release, control_id: str) -> ControlTask:
    """The release's task for a control id (case-insensitive); 404 if the release has none."""
    wanted = control_id.strip().upper()
    task = session.exec(
        select(ControlTask).where(
            ControlTask.release_id == release.id, ControlTask.control_id == wanted
        )
    ).first()
    if task is None:
        raise HTTPException(404, f"{release.slug} has no control {wanted}")
    return task


def task_urls(session: Session, release: Release) -> dict[int, str]:
    """Tracker item URLs by task id for one release (one query)."""
    rows = session.exec(
        select(TrackerItem.task_id, TrackerItem.url).where(
            TrackerItem.release_id == release.id,
            col(TrackerItem.task_id).is_not(None),
            col(TrackerItem.url).is_not(None),
        )
    ).all()
    return {task_id: url for task_id, url in rows if task_id is not None and url}


def workspace_names(session: Session, ids: set[int]) -> dict[int, str]:
    """Workspace names by id, for the given ids (one query)."""
    if not ids:
        return {}
    rows = session.exec(select(Workspace.id, Workspace.name).where(col(Workspace.id).in_(ids)))
    return {wid: name for wid, name in rows.all() if wid is not None}
