"""`issues` events: closed, reopened, and checklist edits on a release tracker."""

from __future__ import annotations

from bot.handlers.context import GitHubContext
from bot.intake import Handled, IgnoredEvent
from bot.routing import Router
from integrations import WorkState
from integrations.github.checklist import changed_ticks
from integrations.github.events import IssueEvent
from workflows.inbound import Outcome, apply_github_close, apply_remote_state, apply_ticks

router = Router()


def _ref(event: IssueEvent) -> str:
    return f"{event.repo.full_name}#{event.issue.number}"


def _handled(outcome: Outcome) -> Handled:
    """Map a workflow outcome to the webhook answer; untracked issues are ignored."""
    if not outcome.applied and "not a" in outcome.detail:
        raise IgnoredEvent(outcome.detail)
    return Handled(outcome.applied, outcome.detail)


@router.register("issues", "closed")
def closed(ctx: GitHubContext, event: IssueEvent) -> Handled:
    """Closed as completed: done; as not planned: not applicable once a reason is found."""
    ctx.ignore_self(event.sender, event.via_app_id)
    return _handled(
        apply_github_close(
            session=ctx.session,
            external_id=_ref(event),
            reason=event.issue.state_reason,
            actor=event.sender.login,
            at=event.issue.updated_at,
            now=ctx.now,
        )
    )


@router.register("issues", "reopened")
def reopened(ctx: GitHubContext, event: IssueEvent) -> Handled:
    """Reopened: the control is to do again."""
    ctx.ignore_self(event.sender, event.via_app_id)
    return _handled(
        apply_remote_state(
            session=ctx.session,
            tracker="github",
            external_id=_ref(event),
            state=WorkState.TODO,
            actor=event.sender.login,
            at=event.issue.updated_at,
            now=ctx.now,
        )
    )


@router.register("issues", "edited")
def edited(ctx: GitHubContext, event: IssueEvent) -> Handled:
    """Boxes ticked or unticked in a release tracker's checklist, diffed from the old body."""
    ctx.ignore_self(event.sender, event.via_app_id)
    if event.previous_body is None:
        raise IgnoredEvent("the body did not change")
    ticks = changed_ticks(event.previous_body, event.issue.body)
    if not ticks:
        raise IgnoredEvent("no checklist box changed")
    return _handled(
        apply_ticks(
            session=ctx.session,
            tracker="github",
            parent_external_id=_ref(event),
            ticks=ticks,
            actor=event.sender.login,
            now=ctx.now,
        )
    )
