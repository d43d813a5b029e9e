"""Who may act on an issue, what someone last wrote on it, and assigning it (`/controls`).

Permission: `GET user/permission/search?permissions=EDIT_ISSUES&issueKey=...` (or `projectKey`)
with `accountId=` on Cloud or `username=` on Data Center. It lists the matching users who hold
the permission, for any user, whereas `mypermissions` only answers for the caller. Data Center's
`username` is a prefix search, so the answer is filtered for an exact match.

Assigning: `PUT issue/{key}/assignee` with `{"accountId": ...}` on Cloud or `{"name": ...}` on
Data Center, the body `JIRA.assign_issue` sends; that helper first searches users by a fuzzy
query (one more request, and a prefix match on Data Center), but the id here is already exact.
Jira answers 204, 400 when the user is unknown or cannot be assigned, 404 for an unknown issue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from integrations.jira.api import JiraApi

EDIT = "EDIT_ISSUES"
USER_IDS = ("accountId", "name", "key")


def is_user(raw: Mapping[str, Any], user: str) -> bool:
    """Whether a user object is `user` (Cloud accountId, Data Center name or key)."""
    return any(raw.get(field) == user for field in USER_IDS)


def may_edit(api: JiraApi, user: str, *, issue_key: str | None, project_key: str) -> bool:
    """Whether `user` may edit the issue (or, without an issue, issues of the project)."""
    params: dict[str, Any] = {"permissions": EDIT, "maxResults": 50}
    if issue_key:
        params["issueKey"] = issue_key
    else:
        params["projectKey"] = project_key
    params["accountId" if api.cloud else "username"] = user
    found: Iterable[Mapping[str, Any]] = api.get("user/permission/search", params) or []
    return any(is_user(raw, user) for raw in found)


def latest_comment_by(api: JiraApi, issue_key: str, author: str) -> str | None:
    """The newest comment `author` wrote on the issue (first 100 comments), if any."""
    page = api.get(f"issue/{issue_key}/comment", {"maxResults": 100}) or {}
    mine = [c for c in page.get("comments") or [] if is_user(c.get("author") or {}, author)]
    if not mine:
        return None
    body = mine[-1].get("body")
    return body if isinstance(body, str) else None


def assign(api: JiraApi, issue_key: str, user: str | None) -> None:
    """Make `user` (Cloud accountId, Data Center username) the assignee; None unassigns."""
    api.put(f"issue/{issue_key}/assignee", {"accountId" if api.cloud else "name": user})
