"""The REST API (first routes): open a release and read its progress. Bearer-token protected."""

from __future__ import annotations

import hmac
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, select

from bot.settings import Settings
from control_catalog import Priority, resolve_catalog
from workflows.errors import ReleaseExists, UnknownRelease, WorkflowError
from workflows.models import Workspace, WorkspaceKind, WorkspaceState
from workflows.opening import StartRequest, request_start
from workflows.planning import Selection
from workflows.progress import summarize
from workflows.releases import (
    LOCAL_WORKSPACE,
    create_release,
    ensure_workspace,
    find_release,
    release_tasks,
)
from workflows.retarget import retarget_release
from workflows.sync_errors import tracker_errors


def require_token(request: Request) -> str:
    """The caller must send `Authorization: Bearer <CONTROLBOT_API_TOKEN>`."""
    settings: Settings = request.app.state.settings
    if settings.api_token is None:
        raise HTTPException(401, "the API is disabled: set CONTROLBOT_API_TOKEN")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    expected = settings.api_token.get_secret_value()
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(401, "missing or wrong bearer token")
    return "api"


Caller = Annotated[str, Depends(require_token)]
router = APIRouter(prefix="/api", tags=["api"])


class ReleaseCreate(BaseModel):
    """A release to open: in a GitHub repository (`repo`) or locally."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    version: str = Field(min_length=1, max_length=50)
    repo: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
    target_date: date | None = None
    priority: Priority | None = None
    ref: str | None = Field(default=None, max_length=255)


@router.post("/releases", status_code=202, response_model=None)
def open_release(body: ReleaseCreate, request: Request, caller: Caller) -> JSONResponse:
    """Open a release: queued for GitHub (202), or created at once locally (201)."""
    now = datetime.now(UTC)
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        if body.repo is None:
            return _open_locally(session, body, caller, now)
        workspace = session.exec(
            select(Workspace).where(
                Workspace.kind == WorkspaceKind.GITHUB, Workspace.name == body.repo
            )
        ).first()
        if workspace is None or workspace.state is not WorkspaceState.ACTIVE:
            raise HTTPException(404, f"controlbot is not installed on {body.repo}")
        request_ = StartRequest(
            name=body.name,
            version=body.version,
            actor=caller,
            target_date=body.target_date,
            priority=body.priority,
            gate_ref=body.ref,
        )
        slug = request_start(session=session, workspace=workspace, request=request_, now=now)
        session.commit()
    return JSONResponse(
        status_code=202, content={"release": slug, "repo": body.repo, "status": "queued"}
    )


def _open_locally(
    session: Session, body: ReleaseCreate, caller: str, now: datetime
) -> JSONResponse:
    """Create a release without a tracker."""
    workspace = ensure_workspace(
        session=session, kind=WorkspaceKind.LOCAL, name=LOCAL_WORKSPACE, now=now
    )
    try:
        release = create_release(
            session=session,
            workspace=workspace,
            catalog=resolve_catalog(None),
            name=body.name,
            version=body.version,
            actor=caller,
            now=now,
            target_date=body.target_date,
            selection=Selection(priority=body.priority),
        )
    except ReleaseExists as exc:
        raise HTTPException(409, str(exc)) from None
    except WorkflowError as exc:
        raise HTTPException(422, str(exc)) from None
    count = len(release_tasks(session=session, release=release))
    return JSONResponse(
        status_code=201, content={"release": release.slug, "tasks": count, "status": "created"}
    )


class ReleaseChange(BaseModel):
    """What can be changed on a release."""

    model_config = ConfigDict(extra="forbid")

    target_date: date


@router.patch("/releases/{ref}")
def change_release(
    ref: str, body: ReleaseChange, request: Request, caller: Caller
) -> dict[str, Any]:
    """Move the target date; open controls' due dates follow and the tracker is told."""
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        try:
            release = find_release(session=session, ref=ref)
        except UnknownRelease as exc:
            raise HTTPException(404, str(exc)) from None
        moved = retarget_release(
            session=session,
            release=release,
            target_date=body.target_date,
            actor=caller,
            now=datetime.now(UTC),
        )
    return {"release": release.slug, "target_date": body.target_date.isoformat(), "moved": moved}


@router.get("/releases/{ref}")
def release_status(ref: str, request: Request, caller: Caller) -> dict[str, Any]:
    """A release's progress and its tasks' statuses."""
    with Session(request.app.state.engine) as session:
        try:
            release = find_release(session=session, ref=ref)
        except UnknownRelease as exc:
            raise HTTPException(404, str(exc)) from None
        tasks = release_tasks(session=session, release=release)
        progress = summarize(tasks, today=datetime.now(UTC).date())
        return {
            "release": release.slug,
            "catalog": release.catalog_ref,
            "problems": release.problems,
            "errors": tracker_errors(session=session, release=release),
            "total": progress.total,
            "closed": progress.closed,
            "tasks": {t.control_id: t.status.value for t in tasks},
        }
