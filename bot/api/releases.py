"""`/api/releases`: open, list, read, retarget and close releases in the caller's workspaces."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from sqlmodel import Session, select

from bot.access import Reader, Writer
from bot.api.lookup import ERRORS as _ERRORS
from bot.api.lookup import task_urls, visible_release, workspace_names
from bot.api.schemas import (
    ReleaseChange,
    ReleaseCreate,
    ReleaseDetail,
    ReleaseMoved,
    ReleaseOpened,
    ReleaseSummary,
    TaskOut,
)
from control_catalog import resolve_catalog
from workflows.access import Principal
from workflows.errors import ReleaseExists, WorkflowError
from workflows.models import ControlTask, Release, ReleaseState, Workspace, WorkspaceKind
from workflows.opening import StartRequest, request_start
from workflows.planning import Selection
from workflows.portfolio import newest_rows
from workflows.progress import is_overdue, summarize
from workflows.releases import (
    LOCAL_WORKSPACE,
    close_release,
    create_release,
    ensure_workspace,
    release_tasks,
)
from workflows.retarget import retarget_release
from workflows.sync_errors import tracker_errors

router = APIRouter(prefix="/api/releases", tags=["releases"])


def _now() -> datetime:
    """The request's clock."""
    return datetime.now(UTC)


@router.post("", status_code=201, response_model=ReleaseOpened, responses={**_ERRORS, 202: {}})
def open_release(body: ReleaseCreate, request: Request, caller: Writer) -> JSONResponse:
    """Open a release: created at once locally (201), or queued for its GitHub repository (202)."""
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        if body.repo is None:
            return _open_locally(session, body, caller)
        workspace = session.exec(
            select(Workspace).where(
                Workspace.kind == WorkspaceKind.GITHUB, Workspace.name == body.repo
            )
        ).first()
        if workspace is None or workspace.id is None or not caller.sees(workspace.id):
            raise HTTPException(404, f"controlbot is not installed on {body.repo}")
        start = StartRequest(
            name=body.name,
            version=body.version,
            actor=caller.name,
            target_date=body.target_date,
            priority=body.priority,
            gate_ref=body.ref,
        )
        slug = request_start(session=session, workspace=workspace, request=start, now=_now())
        session.commit()
    opened = ReleaseOpened(release=slug, repo=body.repo, status="queued")
    return JSONResponse(status_code=202, content=opened.model_dump(exclude_none=True))


def _open_locally(session: Session, body: ReleaseCreate, caller: Principal) -> JSONResponse:
    """Create a release without a tracker (only callers that see every workspace may)."""
    if caller.workspace_ids is not None:
        raise HTTPException(403, "this token is limited to some workspaces: pass their repo")
    workspace = ensure_workspace(
        session=session, kind=WorkspaceKind.LOCAL, name=LOCAL_WORKSPACE, now=_now()
    )
    try:
        release = create_release(
            session=session,
            workspace=workspace,
            catalog=resolve_catalog(None),
            name=body.name,
            version=body.version,
            actor=caller.name,
            now=_now(),
            target_date=body.target_date,
            selection=Selection(priority=body.priority),
        )
    except ReleaseExists as exc:
        raise HTTPException(409, str(exc)) from None
    except WorkflowError as exc:
        raise HTTPException(422, str(exc)) from None
    count = len(release_tasks(session=session, release=release))
    opened = ReleaseOpened(release=release.slug, id=release.id, tasks=count, status="created")
    return JSONResponse(status_code=201, content=opened.model_dump(exclude_none=True))


@router.get("", response_model=list[ReleaseSummary], responses=_ERRORS)
def list_releases(
    request: Request,
    caller: Reader,
    state: ReleaseState | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
    offset: int = Query(default=0, ge=0, le=1_000_000_000),
) -> list[ReleaseSummary]:
    """The caller's releases, newest first, with their completion."""
    with Session(request.app.state.engine) as session:
        rows = newest_rows(
            session=session,
            principal=caller,
            today=_now().date(),
            state=state,
            limit=limit,
            offset=offset,
        )
    return [
        ReleaseSummary(
            id=r.release_id,
            slug=r.slug,
            name=r.name,
            version=r.version,
            workspace=r.workspace,
            state=r.state,
            target_date=r.target_date,
            total=r.total,
            closed=r.closed,
            percent=round(100.0 * r.closed / r.total, 1) if r.total else 0.0,
            high_total=r.high_total,
            high_closed=r.high_closed,
            overdue=r.overdue,
        )
        for r in rows
    ]


def summary(release: Release, tasks: list[ControlTask], workspace: str) -> ReleaseSummary:
    """A release's list entry from its tasks."""
    progress = summarize(tasks, today=_now().date())
    assert release.id is not None
    return ReleaseSummary(
        id=release.id,
        slug=release.slug,
        name=release.name,
        version=release.version,
        workspace=workspace,
        state=release.state,
        target_date=release.target_date,
        total=progress.total,
        closed=progress.closed,
        percent=round(progress.percent, 1),
        high_total=progress.high_total,
        high_closed=progress.high_closed,
        overdue=progress.overdue,
    )


def task_out(task: ControlTask, url: str | None) -> TaskOut:
    """A task as the API shows it."""
    return TaskOut(
        control_id=task.control_id,
        title=task.title,
        function=task.function,
        category=task.category,
        priority=task.priority,
        kind=task.kind,
        status=task.status,
        owner=task.owner,
        due_date=task.due_date,
        overdue=is_overdue(task, today=_now().date()),
        justification=task.justification,
        evidence=list(task.evidence),
        tracker_url=url,
        updated_at=task.updated_at,
    )


@router.get("/{ref}", response_model=ReleaseDetail, responses={**_ERRORS, 409: {}})
def get_release(ref: str, request: Request, caller: Reader) -> ReleaseDetail:
    """A release (by id, slug or name) with its progress and every task."""
    with Session(request.app.state.engine) as session:
        release = visible_release(session, caller, ref)
        tasks = release_tasks(session=session, release=release)
        urls = task_urls(session, release)
        head = summary(
            release, tasks, workspace_names(session, {release.workspace_id})[release.workspace_id]
        )
        return ReleaseDetail(
            **head.model_dump(),
            catalog=release.catalog_ref,
            problems=list(release.problems),
            errors=tracker_errors(session=session, release=release),
            tasks=[task_out(t, urls.get(t.id or 0)) for t in tasks],
        )


@router.patch("/{ref}", response_model=ReleaseMoved, responses={**_ERRORS, 403: {}, 409: {}})
def change_release(ref: str, body: ReleaseChange, request: Request, caller: Writer) -> ReleaseMoved:
    """Move the target date; open controls' due dates follow and the tracker is told."""
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        release = visible_release(session, caller, ref)
        moved = retarget_release(
            session=session,
            release=release,
            target_date=body.target_date,
            actor=caller.name,
            now=_now(),
        )
    return ReleaseMoved(release=release.slug, target_date=body.target_date, moved=moved)


@router.post("/{ref}/close", response_model=ReleaseSummary, responses={**_ERRORS, 403: {}})
def close(ref: str, request: Request, caller: Writer) -> ReleaseSummary:
    """Close a release: no more reminders or reviews; its record and exports stay."""
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        release = visible_release(session, caller, ref)
        close_release(session=session, release=release, now=_now())
        tasks = release_tasks(session=session, release=release)
        names = workspace_names(session, {release.workspace_id})
        return summary(release, tasks, names[release.workspace_id])
