"""Gate pull requests to a release branch with the release's controls."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from workflows.mirror import enqueue_gate
from workflows.models import Release, ReleaseState, Workspace
from workflows.repo_config import RepoConfig

MAX_PR_SHAS = 20


def gate_pull_request(
    *, session: Session, workspace: Workspace, base_ref: str, head_sha: str, now: datetime
) -> Release | None:
    """Attach a PR head to the newest open release gating `base_ref`, and queue its gate."""
    releases = session.exec(
        select(Release)
        .where(Release.workspace_id == workspace.id, Release.state == ReleaseState.OPEN)
        .order_by(col(Release.created_at).desc())
    ).all()
    release = next(
        (
            r
            for r in releases
            if RepoConfig.model_validate(r.config).gate.release_branch == base_ref
        ),
        None,
    )
    if release is None or workspace.id is None:
        return None
    shas = [s for s in release.pr_shas if s != head_sha] + [head_sha]
    release.pr_shas = shas[-MAX_PR_SHAS:]
    session.add(release)
    enqueue_gate(session=session, release=release, now=now)
    session.commit()
    return release
