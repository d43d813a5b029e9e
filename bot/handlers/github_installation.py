"""`installation` and `installation_repositories` events keep the workspaces in the database."""

from __future__ import annotations

from sqlmodel import select

from bot.handlers.context import GitHubContext
from bot.intake import Handled
from bot.routing import Router
from integrations.github.events import InstallationEvent, InstallationReposEvent, PingEvent
from workflows.models import Workspace, WorkspaceKind, WorkspaceState

router = Router()
STATE_AFTER = {
    "created": WorkspaceState.ACTIVE,
    "unsuspend": WorkspaceState.ACTIVE,
    "suspend": WorkspaceState.SUSPENDED,
    "deleted": WorkspaceState.REMOVED,
}


@router.register("ping")
def ping(ctx: GitHubContext, event: PingEvent) -> Handled:
    """GitHub checks the hook works."""
    return Handled(True, "pong")


@router.register("installation")
def installation(ctx: GitHubContext, event: InstallationEvent) -> Handled:
    """Installed, removed, suspended or resumed: every repository's workspace follows."""
    state = STATE_AFTER.get(event.action)
    if state is None:
        return Handled(False, f"installation {event.action} needs nothing")
    for repo in event.repositories:
        _set(ctx, repo, event.installation_id, WorkspaceState.ACTIVE)
    existing = _of_installation(ctx, event.installation_id)
    for workspace in existing:
        workspace.state, workspace.updated_at = state, ctx.now
        ctx.session.add(workspace)
    ctx.session.commit()
    return Handled(True, f"{len(existing)} workspaces {state.value}")


@router.register("installation_repositories")
def repositories(ctx: GitHubContext, event: InstallationReposEvent) -> Handled:
    """Repositories added to or removed from the installation."""
    for repo in event.added:
        _set(ctx, repo, event.installation_id, WorkspaceState.ACTIVE)
    for repo in event.removed:
        _set(ctx, repo, event.installation_id, WorkspaceState.REMOVED)
    ctx.session.commit()
    return Handled(True, f"{len(event.added)} added, {len(event.removed)} removed")


def _of_installation(ctx: GitHubContext, installation_id: int) -> list[Workspace]:
    query = select(Workspace).where(
        Workspace.kind == WorkspaceKind.GITHUB, Workspace.external_id == str(installation_id)
    )
    return list(ctx.session.exec(query).all())


def _set(ctx: GitHubContext, repo: str, installation_id: int, state: WorkspaceState) -> None:
    """Create or update a repository's workspace."""
    workspace = ctx.session.exec(
        select(Workspace).where(Workspace.kind == WorkspaceKind.GITHUB, Workspace.name == repo)
    ).first()
    if workspace is None:
        workspace = Workspace(kind=WorkspaceKind.GITHUB, name=repo, created_at=ctx.now)
    workspace.external_id, workspace.state, workspace.updated_at = (
        str(installation_id),
        state,
        ctx.now,
    )
    ctx.session.add(workspace)
    ctx.session.flush()
