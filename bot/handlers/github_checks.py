"""`check_run`, `pull_request`, `release`, `sub_issues`: the gate, opening on release, links."""

from __future__ import annotations

from sqlmodel import select

from bot.handlers.context import GitHubContext
from bot.intake import Handled, IgnoredEvent
from bot.routing import Router
from integrations.github.events import (
    CheckRunEvent,
    PullRequestEvent,
    ReleaseEvent,
    SubIssuesEvent,
)
from workflows.mirror import enqueue_gate
from workflows.models import Release
from workflows.opening import StartRequest, request_start
from workflows.pull_requests import gate_pull_request

router = Router()


@router.register("check_run", "rerequested")
@router.register("check_run", "requested_action")
def rerun(ctx: GitHubContext, event: CheckRunEvent) -> Handled:
    """The "Re-run" button on the gate re-evaluates it."""
    workspace = ctx.workspace(event.repo.full_name, event.installation_id)
    release = ctx.session.exec(
        select(Release).where(
            Release.workspace_id == workspace.id, Release.gate_sha == event.head_sha
        )
    ).first()
    if release is None or workspace.id is None:
        raise IgnoredEvent(f"no release gate on {event.head_sha}")
    enqueue_gate(session=ctx.session, release=release, now=ctx.now)
    ctx.session.commit()
    return Handled(True, f"gate of {release.slug} queued")


@router.register("pull_request", "opened")
@router.register("pull_request", "synchronize")
@router.register("pull_request", "reopened")
def pull_request(ctx: GitHubContext, event: PullRequestEvent) -> Handled:
    """A pull request to a release branch gets the release's gate on its head commit."""
    workspace = ctx.workspace(event.repo.full_name, event.installation_id)
    release = gate_pull_request(
        session=ctx.session,
        workspace=workspace,
        base_ref=event.base_ref,
        head_sha=event.head_sha,
        now=ctx.now,
    )
    if release is None:
        raise IgnoredEvent(f"no open release gates the branch {event.base_ref}")
    return Handled(True, f"PR #{event.number} gated by {release.slug}")


@router.register("release", "published")
def published(ctx: GitHubContext, event: ReleaseEvent) -> Handled:
    """A published GitHub release opens a model release when the repository's config asks."""
    ctx.ignore_self(event.sender)
    if event.draft:
        raise IgnoredEvent("draft release")
    workspace = ctx.workspace(event.repo.full_name, event.installation_id)
    name = event.repo.full_name.split("/", 1)[1]
    version = event.tag_name.removeprefix("v")
    request = StartRequest(
        name=name,
        version=version,
        actor=event.sender.login,
        gate_ref=event.tag_name,
        only_if_configured=True,
        prerelease=event.prerelease,
    )
    slug = request_start(session=ctx.session, workspace=workspace, request=request, now=ctx.now)
    ctx.session.commit()
    return Handled(True, f"{slug} will open if .github/controlbot.yml sets open_on_release")


@router.register("sub_issues")
def sub_issues(ctx: GitHubContext, event: SubIssuesEvent) -> Handled:
    """People may re-arrange sub-issues; the checklist stays the record."""
    raise IgnoredEvent(f"sub_issues.{event.action}: links are informational")
