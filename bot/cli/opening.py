"""Open a release in a GitHub repository from the CLI, with a progress bar and rate-limit waits."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from rich.progress import Progress
from sqlmodel import Session, select

from bot.cli.errors import CliError
from bot.cli.state import CliState
from bot.trackers import TrackerRegistry
from integrations import RateLimited, Tracker, TrackerError
from workflows import mirror
from workflows.errors import ReleaseExists
from workflows.jobs import drain
from workflows.models import Release, TrackerItem, Workspace, WorkspaceKind
from workflows.opening import StartRequest, start_in_workspace
from workflows.planning import release_slug
from workflows.repo_config import RepoConfig
from workflows.tracking import sync_release


def _now() -> datetime:
    return datetime.now(UTC)


def workspace_for_repo(session: Session, registry: TrackerRegistry, repo: str) -> Workspace:
    """The repository's workspace; asks GitHub for the installation when none is stored yet."""
    found = session.exec(
        select(Workspace).where(Workspace.kind == WorkspaceKind.GITHUB, Workspace.name == repo)
    ).first()
    if found is not None:
        return found
    installation = registry.installation_for(repo)
    workspace = Workspace(
        kind=WorkspaceKind.GITHUB, name=repo, external_id=str(installation), created_at=_now()
    )
    session.add(workspace)
    session.commit()
    return workspace


def open_in_repo(state: CliState, repo: str, request: StartRequest) -> tuple[Release, int, bool]:
    """Plan, store and open the release's issues now (or resume an interrupted opening).

    Returns the release, how many items it has, and whether it was resumed.
    """
    if repo.count("/") != 1 or not all(repo.split("/")):
        raise CliError(f"--repo must look like OWNER/NAME, not {repo!r}")
    registry = TrackerRegistry(state.settings)
    engine = state.migrated_engine()
    with Session(engine, expire_on_commit=False) as session:
        try:
            workspace = workspace_for_repo(session, registry, repo)
            tracker = registry.for_workspace(workspace)
            release, resumed = _stored_or_new(session, workspace, tracker, request)
            _sync_with_progress(session, release, tracker)
            count = len(
                session.exec(select(TrackerItem).where(TrackerItem.release_id == release.id)).all()
            )
            mirror.enqueue_views(session=session, release=release, now=_now())
            session.commit()
        except TrackerError as exc:
            raise CliError(f"GitHub: {exc}") from None
    drain(engine=engine, tracker_for=registry.for_workspace, clock=_now)
    return release, count, resumed


def _stored_or_new(
    session: Session, workspace: Workspace, tracker: Tracker, request: StartRequest
) -> tuple[Release, bool]:
    """The release this request names if it is already stored (an interrupted run), else a new one.

    A stored release whose items all exist is refused as before: there is nothing to resume.
    """
    slug = release_slug(request.name, request.version)
    stored = session.exec(
        select(Release).where(Release.workspace_id == workspace.id, Release.slug == slug)
    ).first()
    if stored is None:
        release = start_in_workspace(
            session=session, workspace=workspace, tracker=tracker, request=request, now=_now()
        )
        assert release is not None
        return release, False
    items = session.exec(select(TrackerItem).where(TrackerItem.release_id == stored.id)).all()
    if items and all(item.external_id for item in items):
        raise ReleaseExists(slug)
    return stored, True


def _sync_with_progress(session: Session, release: Release, tracker: Tracker) -> None:
    """Run the sync, showing progress; wait out rate limits and resume (it is resumable)."""
    config = RepoConfig.model_validate(release.config)
    with Progress() as progress:
        bar = progress.add_task(f"Opening {release.slug}", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(bar, completed=done, total=total)

        while True:
            try:
                sync_release(
                    session=session,
                    release=release,
                    tracker=tracker,
                    config=config,
                    now=_now(),
                    on_progress=advance,
                )
                return
            except RateLimited as exc:
                progress.console.print(f"rate limited: waiting {exc.retry_after:.0f} s")
                time.sleep(exc.retry_after)
