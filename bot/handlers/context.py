"""What a GitHub handler gets: the session, the time, who the app is; and workspace lookup."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from bot.intake import IgnoredEvent
from integrations.github.events import Actor, is_self
from workflows.models import Workspace, WorkspaceKind, WorkspaceState


@dataclass(frozen=True)
class GitHubContext:
    """Per-delivery context for GitHub handlers."""

    session: Session
    now: datetime
    app_slug: str
    app_id: int | None

    def ignore_self(self, actor: Actor | None, via_app_id: int | None = None) -> None:
        """Events caused by controlbot itself change nothing (no echo loops)."""
        if is_self(actor, app_slug=self.app_slug, via_app_id=via_app_id, app_id=self.app_id):
            raise IgnoredEvent("caused by controlbot itself")

    def workspace(self, repo: str, installation_id: int | None) -> Workspace:
        """The active workspace of a repository, created on first sight."""
        found = self.session.exec(
            select(Workspace).where(Workspace.kind == WorkspaceKind.GITHUB, Workspace.name == repo)
        ).first()
        if found is None:
            found = Workspace(
                kind=WorkspaceKind.GITHUB,
                name=repo,
                external_id=str(installation_id) if installation_id else None,
                created_at=self.now,
            )
            self.session.add(found)
            self.session.flush()
        if found.state is not WorkspaceState.ACTIVE:
            raise IgnoredEvent(f"{repo} is {found.state.value}")
        return found
