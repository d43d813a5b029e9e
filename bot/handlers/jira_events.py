"""Jira webhook events: status changes, deleted issues, and `/controls` comments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from bot.commands import HELP_TEXT, Command, CommandError, CommandName, Dialect, parse_command
from bot.intake import Handled, IgnoredEvent
from bot.routing import Router
from integrations import WorkState
from integrations.jira import JiraCommentCreated, JiraIssueChanged, JiraIssueDeleted
from integrations.jira.mapping import derive_state
from workflows.command_jobs import RUN_COMMAND
from workflows.inbound import Outcome, apply_remote_state, find_item
from workflows.jira_setup import TRACKER, find_project, project_config, record_deleted, self_ids
from workflows.mirror import COMMENT
from workflows.models import TrackerItem, Workspace, WorkspaceState
from workflows.outbox import enqueue

router = Router()


@dataclass(frozen=True)
class JiraContext:
    """Per-delivery context for Jira handlers."""

    session: Session
    now: datetime

    def workspace(self, issue_key: str) -> Workspace:
        """The active workspace of the issue's project (IgnoredEvent when not connected)."""
        project_key = issue_key.rsplit("-", 1)[0]
        found = find_project(session=self.session, project_key=project_key)
        if found is None:
            raise IgnoredEvent(f"Jira project {project_key} is not connected")
        if found.state is not WorkspaceState.ACTIVE:
            raise IgnoredEvent(f"{found.name} is {found.state.value}")
        return found

    def ignore_self(self, workspace: Workspace, actor: str | None) -> None:
        """Events caused by controlbot's own Jira account change nothing (no echo loops)."""
        if actor is not None and actor in self_ids(workspace):
            raise IgnoredEvent("caused by controlbot itself")


def _handled(outcome: Outcome) -> Handled:
    """Map a workflow outcome to the answer; issues controlbot did not make are ignored."""
    if not outcome.applied and "not a" in outcome.detail:
        raise IgnoredEvent(outcome.detail)
    return Handled(outcome.applied, outcome.detail)


@router.register("jira:issue_updated")
def issue_updated(ctx: JiraContext, event: JiraIssueChanged) -> Handled:
    """A status moved in Jira: apply its category (and resolution) unless the event is stale."""
    if event.status_change is None:
        raise IgnoredEvent("the status did not change")
    workspace = ctx.workspace(event.issue_key)
    ctx.ignore_self(workspace, event.actor)
    config = project_config(workspace)
    state = derive_state(
        category=event.status_category,
        resolution=event.resolution,
        na_resolutions=config.na_resolutions,
        status_name=event.status_name,
        status_overrides=config.status_overrides,
    )
    if state is None:
        raise IgnoredEvent(f"status {event.status_name!r} has no known category")
    na = state is WorkState.NOT_APPLICABLE
    return _handled(
        apply_remote_state(
            session=ctx.session,
            tracker=TRACKER,
            external_id=event.issue_key,
            state=state,
            actor=event.actor or "jira",
            at=event.timestamp,
            now=ctx.now,
            note=event.resolution if na else f"Jira status {event.status_name}",
        )
    )


@router.register("jira:issue_deleted")
def issue_deleted(ctx: JiraContext, event: JiraIssueDeleted) -> Handled:
    """A deleted issue is recorded on its item; the control task stays."""
    workspace = ctx.workspace(event.issue_key)
    ctx.ignore_self(workspace, event.actor)
    return _handled(
        record_deleted(
            session=ctx.session,
            external_id=event.issue_key,
            actor=event.actor,
            at=event.timestamp,
            now=ctx.now,
        )
    )


@router.register("comment_created")
def comment_created(ctx: JiraContext, event: JiraCommentCreated) -> Handled:
    """Queue a `/controls` command (or a help reply); plain comments are ignored."""
    issue_key, item = _commented_issue(ctx, event)
    workspace = ctx.workspace(issue_key)
    ctx.ignore_self(workspace, event.author)
    dialect: Dialect = "jira-cloud" if project_config(workspace).is_cloud else "jira-dc"
    parsed = parse_command(event.body, dialect=dialect)
    if parsed is None:
        raise IgnoredEvent("not a /controls command")
    assert workspace.id is not None
    author = event.author or "someone"
    if isinstance(parsed, CommandError) or parsed.name is CommandName.HELP:
        payload: dict[str, Any] = {"external_id": issue_key, "body": _help_reply(parsed)}
        if item is not None:
            payload["item_id"] = item.id
        kind, key, detail = COMMENT, f"reply:jira:{event.comment_id}", "help reply queued"
    else:
        payload = _payload(parsed, event, issue_key, author)
        kind, key = RUN_COMMAND, f"command:jira:{event.comment_id}"
        detail = f"/controls {parsed.name.value} queued"
    enqueue(
        session=ctx.session,
        workspace_id=workspace.id,
        kind=kind,
        key=key,
        now=ctx.now,
        payload=payload,
    )
    ctx.session.commit()
    return Handled(True, detail)


def _commented_issue(ctx: JiraContext, event: JiraCommentCreated) -> tuple[str, TrackerItem | None]:
    """The commented issue's key and item; old Data Center payloads only carry the issue id."""
    if event.issue_key is not None:
        return event.issue_key, find_item(
            session=ctx.session, tracker=TRACKER, external_id=event.issue_key
        )
    item = ctx.session.exec(
        select(TrackerItem).where(
            TrackerItem.tracker == TRACKER, TrackerItem.internal_id == event.issue_id
        )
    ).first()
    if item is None or item.external_id is None:
        raise IgnoredEvent("the comment does not say which issue it is on")
    return item.external_id, item


def _help_reply(parsed: Command | CommandError) -> str:
    """The reply to a bad command or to `help`."""
    if isinstance(parsed, CommandError):
        return f"{parsed.message}\n\n{HELP_TEXT}"
    return HELP_TEXT


def _payload(
    command: Command, event: JiraCommentCreated, issue_key: str, author: str
) -> dict[str, Any]:
    """Plain data for the command job, shaped like GitHub's with `tracker: jira`."""
    start = None
    if command.start is not None:
        target = command.start.target_date
        start = {
            "name": command.start.name,
            "version": command.start.version,
            "priority": command.start.priority,
            "target_date": target.isoformat() if target else None,
        }
    return {
        "tracker": TRACKER,
        "name": command.name.value,
        "control_id": command.control_id,
        "reason": command.reason,
        "url": command.url,
        "user": command.user,
        "days": command.days,
        "start": start,
        "external_id": issue_key,
        "comment_id": int(event.comment_id) if event.comment_id.isdigit() else None,
        "author": author,
        "default_branch": None,
    }
