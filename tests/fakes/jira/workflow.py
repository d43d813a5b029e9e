"""Workflow behaviour of the fake Jira: available transitions, performing them, forced moves."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .fields import NOT_ON_SCREEN, plain_text
from .models import Issue, JiraHTTPError, Resolution, Status, StatusChange, Transition

if TYPE_CHECKING:
    from .state import FakeJira


def available(fake: FakeJira, issue: Issue) -> list[Transition]:
    """Transitions the workflow offers from the issue's current status."""
    project = fake.projects[issue.project_key]
    return [t for t in project.transitions if t.available_from(issue.status)]


def resolution_by(fake: FakeJira, ref: Any) -> Resolution:
    """A resolution from `{"id"}` or `{"name"}`, or a 400."""
    ref = ref if isinstance(ref, dict) else {"name": ref}
    for resolution in fake.resolutions:
        if str(ref.get("id")) == resolution.id or ref.get("name") == resolution.name:
            return resolution
    shown = ref.get("name") or ref.get("id")
    raise JiraHTTPError(400, errors={"resolution": f"Resolution '{shown}' is not valid."})


def change(fake: FakeJira, issue: Issue, to: Status, resolution: str | None) -> StatusChange:
    """Move an issue to `to`, setting the resolution for done statuses and clearing it otherwise."""
    before = fake.projects[issue.project_key].status(issue.status)
    issue.status = to.name
    issue.resolution = resolution if to.category == "done" else None
    issue.resolution_date = fake.now() if issue.resolution else None
    issue.updated = fake.now()
    return StatusChange(issue.key, issue.id, before, to, issue.resolution)


def perform(fake: FakeJira, issue: Issue, payload: dict[str, Any]) -> StatusChange:
    """Perform a `POST issue/{key}/transitions` body; 400 when not available now."""
    wanted = str((payload.get("transition") or {}).get("id", ""))
    offered = {t.id: t for t in available(fake, issue)}
    if wanted not in offered:
        raise JiraHTTPError(400, [f"Transition id '{wanted}' is not valid for this issue."])
    transition = offered[wanted]
    fields = dict(payload.get("fields") or {})
    resolution = transition.resolution
    if "resolution" in fields and transition.resolution is not None:
        resolution = resolution_by(fake, fields.pop("resolution")).name
    if fields:
        raise JiraHTTPError(400, errors={name: NOT_ON_SCREEN.format(name) for name in fields})
    comments = [
        plain_text(op["add"]["body"]) for op in (payload.get("update") or {}).get("comment", [])
    ]
    to = fake.projects[issue.project_key].status(transition.to)
    result = change(fake, issue, to, resolution)
    for body in comments:
        fake.add_comment(issue.key, body)
    return result


def move_like_user(fake: FakeJira, issue: Issue, status_name: str) -> StatusChange:
    """Take the first available transition into `status_name` (ValueError if none)."""
    for transition in available(fake, issue):
        if transition.to.lower() == status_name.lower():
            return perform(fake, issue, {"transition": {"id": transition.id}})
    raise ValueError(f"no transition from {issue.status!r} to {status_name!r}")


def force(fake: FakeJira, issue: Issue, status_name: str) -> StatusChange:
    """Set a status ignoring the workflow; a done status gets its transition's resolution."""
    project = fake.projects[issue.project_key]
    to = project.status(status_name)
    defaults = [t.resolution for t in project.transitions if t.to == to.name and t.resolution]
    return change(fake, issue, to, defaults[0] if defaults else "Done")
