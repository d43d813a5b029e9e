"""Domain rules of issues, labels, milestones and sub-issues, as GitHub enforces them."""

from __future__ import annotations

import re
from typing import Any

from .http import GitHubError, custom_invalid, not_found, validation_failed
from .state import Issue, Label, Milestone, Repo, Store, User

STATE_REASONS = {"completed", "not_planned", "duplicate", "reopened"}
MAX_SUB_ISSUES = 100
_COLOR = re.compile(r"^[0-9a-fA-F]{6}$")


def create_label(
    store: Store, repo: Repo, name: Any, color: Any = "ededed", description: Any = None
) -> Label:
    """Add a label; 422 `already_exists` when the name is taken (case-insensitively)."""
    if not isinstance(name, str) or not name.strip():
        raise validation_failed("Label", "name", "missing_field")
    color = str(color or "ededed").lstrip("#")
    if not _COLOR.match(color):
        raise validation_failed("Label", "color", "invalid")
    if repo.label(name):
        raise validation_failed("Label", "name", "already_exists")
    label = Label(store.next_id("label"), name, color.lower(), description)
    repo.labels[name.lower()] = label
    return label


def resolve_labels(store: Store, repo: Repo, names: Any) -> list[str]:
    """Label names for an issue; unknown ones are created, as GitHub does for writers."""
    if isinstance(names, dict):
        names = names.get("labels", [])
    if not isinstance(names, list):
        raise GitHubError(422, "Invalid request.\n\nFor 'labels', value is not an array.")
    resolved: list[str] = []
    for entry in names:
        name = entry.get("name") if isinstance(entry, dict) else entry
        if not isinstance(name, str) or not name:
            raise validation_failed("Label", "name", "invalid")
        label = repo.label(name) or create_label(store, repo, name)
        if label.name not in resolved:
            resolved.append(label.name)
    return resolved


def resolve_assignees(store: Store, repo: Repo, logins: Any) -> list[str]:
    """Assignees must be collaborators; others get 422 `invalid`, as on GitHub."""
    if not isinstance(logins, list):
        raise GitHubError(422, "Invalid request.\n\nFor 'assignees', value is not an array.")
    for login in logins:
        if not isinstance(login, str) or repo.role(login) == "none":
            raise validation_failed("Issue", "assignees", "invalid", value=login)
    return [store.user(login).login for login in logins]


def resolve_milestone(repo: Repo, number: Any) -> int | None:
    """A milestone number that exists, or None to clear it."""
    if number in (None, ""):
        return None
    if not isinstance(number, int) or number not in repo.milestones:
        raise validation_failed("Issue", "milestone", "invalid", value=number)
    return number


def create_issue(
    store: Store, repo: Repo, user: User, fields: dict[str, Any], now: float, *, via_app: bool
) -> Issue:
    """Validate and store a new issue; numbers are per repository, ids global."""
    title = fields.get("title")
    if title is None or (isinstance(title, str) and not title.strip()):
        raise validation_failed("Issue", "title", "missing_field")
    assignees = list(fields.get("assignees") or [])
    if fields.get("assignee"):
        assignees.append(fields["assignee"])
    issue = Issue(
        id=store.next_id("issue"),
        number=repo.next_number,
        title=str(title),
        body=fields.get("body"),
        user=user,
        created_at=now,
        updated_at=now,
        labels=resolve_labels(store, repo, fields.get("labels") or []),
        assignees=resolve_assignees(store, repo, assignees),
        milestone=resolve_milestone(repo, fields.get("milestone")),
        via_app=via_app,
    )
    repo.next_number += 1
    repo.issues[issue.number] = issue
    store.issue_index[issue.id] = (repo.full_name.lower(), issue.number)
    return issue


def _set_state(issue: Issue, state: Any, reason: Any, user: User, now: float) -> None:
    if state not in (None, "open", "closed"):
        raise validation_failed("Issue", "state", "invalid", value=state)
    if reason is not None and reason not in STATE_REASONS:
        raise validation_failed("Issue", "state_reason", "invalid", value=reason)
    if state == "closed" and issue.state != "closed":
        issue.state, issue.closed_at, issue.closed_by = "closed", now, user
        issue.state_reason = reason or "completed"
    elif state == "open" and issue.state != "open":
        issue.state, issue.closed_at, issue.closed_by = "open", None, None
        issue.state_reason = "reopened"
    elif reason is not None and issue.state == "closed" and reason != "reopened":
        issue.state_reason = reason


def edit_issue(
    store: Store, repo: Repo, issue: Issue, fields: dict[str, Any], user: User, now: float
) -> None:
    """Apply a PATCH: title, body, state/state_reason, labels, assignees, milestone."""
    if "title" in fields:
        if not isinstance(fields["title"], str) or not fields["title"].strip():
            raise validation_failed("Issue", "title", "missing_field")
        issue.title = fields["title"]
    if "body" in fields:
        issue.body = fields["body"]
    if "labels" in fields:
        issue.labels = resolve_labels(store, repo, fields["labels"] or [])
    if "assignees" in fields:
        issue.assignees = resolve_assignees(store, repo, fields["assignees"] or [])
    if "milestone" in fields:
        issue.milestone = resolve_milestone(repo, fields["milestone"])
    _set_state(issue, fields.get("state"), fields.get("state_reason"), user, now)
    issue.updated_at = now


def create_milestone(
    store: Store, repo: Repo, fields: dict[str, Any], user: User, now: float
) -> Milestone:
    """Add a milestone; 422 `already_exists` on a duplicate title."""
    title = fields.get("title")
    if not isinstance(title, str) or not title.strip():
        raise validation_failed("Milestone", "title", "missing_field")
    if any(m.title == title for m in repo.milestones.values()):
        raise validation_failed("Milestone", "title", "already_exists")
    state = fields.get("state", "open")
    if state not in ("open", "closed"):
        raise validation_failed("Milestone", "state", "invalid")
    milestone = Milestone(
        id=store.next_id("milestone"),
        number=repo.next_milestone,
        title=title,
        creator=user,
        created_at=now,
        updated_at=now,
        state=state,
        description=fields.get("description"),
        due_on=fields.get("due_on"),
        closed_at=now if state == "closed" else None,
    )
    repo.next_milestone += 1
    repo.milestones[milestone.number] = milestone
    return milestone


def _ancestors(store: Store, issue: Issue) -> list[int]:
    chain: list[int] = []
    current: Issue | None = issue
    while current is not None and current.parent_id is not None:
        chain.append(current.parent_id)
        found = store.issue_by_id(current.parent_id)
        current = found[1] if found else None
    return chain


def add_sub_issue(
    store: Store, repo: Repo, parent: Issue, child_id: Any, replace_parent: bool
) -> tuple[Repo, Issue]:
    """Attach a child by its global `id` (not number); GitHub's 422s for the broken cases."""
    found = store.issue_by_id(child_id) if isinstance(child_id, int) else None
    if found is None:
        raise not_found()
    child_repo, child = found
    if child_repo.owner.id != repo.owner.id:
        raise custom_invalid("Issue", "sub_issue_id", "Sub-issue must belong to the same owner")
    if child.id == parent.id or child.id in _ancestors(store, parent):
        raise custom_invalid("Issue", "sub_issue_id", "Sub-issue cannot be an ancestor")
    if child.id in parent.sub_issue_ids:
        raise custom_invalid("Issue", "sub_issue_id", "Issue may not contain duplicate sub-issues")
    if child.parent_id is not None and not replace_parent:
        raise custom_invalid("Issue", "sub_issue_id", "Sub issue may only have one parent")
    if len(parent.sub_issue_ids) >= MAX_SUB_ISSUES:
        message = f"Parent cannot have more than {MAX_SUB_ISSUES} sub-issues"
        raise custom_invalid("Issue", "sub_issue_id", message)
    if child.parent_id is not None:
        old = store.issue_by_id(child.parent_id)
        if old:
            old[1].sub_issue_ids.remove(child.id)
    parent.sub_issue_ids.append(child.id)
    child.parent_id = parent.id
    return child_repo, child


def remove_sub_issue(store: Store, parent: Issue, child_id: Any) -> tuple[Repo, Issue]:
    """Detach a child by its global `id`; 404 when it is not a child of this parent."""
    if child_id not in parent.sub_issue_ids:
        raise not_found()
    found = store.issue_by_id(child_id)
    if found is None:
        raise not_found()
    parent.sub_issue_ids.remove(child_id)
    found[1].parent_id = None
    return found


def reprioritize(parent: Issue, child_id: Any, after_id: Any, before_id: Any) -> None:
    """Move a child before or after a sibling."""
    ids = parent.sub_issue_ids
    anchor = after_id if after_id is not None else before_id
    if child_id not in ids or anchor not in ids or child_id == anchor:
        raise custom_invalid("Issue", "sub_issue_id", "Invalid sub-issue position")
    ids.remove(child_id)
    position = ids.index(anchor) + (1 if after_id is not None else 0)
    ids.insert(position, child_id)
