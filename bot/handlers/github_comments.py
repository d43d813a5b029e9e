"""`issue_comment` events: `/controls ...` commands, queued for the worker (which checks access)."""

from __future__ import annotations

from typing import Any

from bot.commands import HELP_TEXT, Command, CommandError, CommandName, parse_command
from bot.handlers.context import GitHubContext
from bot.intake import Handled, IgnoredEvent
from bot.routing import Router
from integrations.github.events import CommentEvent
from workflows.command_jobs import RUN_COMMAND
from workflows.mirror import COMMENT
from workflows.outbox import enqueue

router = Router()


@router.register("issue_comment", "created")
def created(ctx: GitHubContext, event: CommentEvent) -> Handled:
    """Queue a command (or a help reply); plain comments are ignored."""
    ctx.ignore_self(event.author, event.via_app_id)
    parsed = parse_command(event.body)
    if parsed is None:
        raise IgnoredEvent("not a /controls command")
    workspace = ctx.workspace(event.repo.full_name, event.installation_id)
    assert workspace.id is not None
    external_id = f"{event.repo.full_name}#{event.issue.number}"
    if isinstance(parsed, CommandError) or parsed.name is CommandName.HELP:
        body = _help_reply(parsed, event.author.login)
        enqueue(
            session=ctx.session,
            workspace_id=workspace.id,
            kind=COMMENT,
            key=f"reply:{event.comment_id}",
            now=ctx.now,
            payload={"external_id": external_id, "body": body},
        )
        ctx.session.commit()
        return Handled(True, "help reply queued")
    enqueue(
        session=ctx.session,
        workspace_id=workspace.id,
        kind=RUN_COMMAND,
        key=f"command:{event.comment_id}",
        now=ctx.now,
        payload=_payload(parsed, event, external_id),
    )
    ctx.session.commit()
    return Handled(True, f"/controls {parsed.name.value} queued")


def _help_reply(parsed: Command | CommandError, login: str) -> str:
    """The reply to a bad command or `help`."""
    if isinstance(parsed, CommandError):
        return f"@{login} {parsed.message}\n\n{HELP_TEXT}"
    return HELP_TEXT


def _payload(command: Command, event: CommentEvent, external_id: str) -> dict[str, Any]:
    """Plain data for the command job."""
    start = None
    if command.start is not None:
        start = {
            "name": command.start.name,
            "version": command.start.version,
            "priority": command.start.priority,
            "target_date": command.start.target_date.isoformat()
            if command.start.target_date
            else None,
        }
    return {
        "name": command.name.value,
        "control_id": command.control_id,
        "reason": command.reason,
        "url": command.url,
        "user": command.user,
        "days": command.days,
        "start": start,
        "external_id": external_id,
        "comment_id": event.comment_id,
        "author": event.author.login,
        "default_branch": event.repo.default_branch,
    }
