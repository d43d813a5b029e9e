"""Pure parsing of Jira webhook payloads into small frozen events; raw dicts stay in here.

Shapes (Cloud and Data Center admin webhooks): `{timestamp (ms), webhookEvent, user, issue{id,
key, fields{status{id, name, statusCategory{key}}, resolution{name}, labels}}, changelog{items}}`.
A status change is the changelog item whose `fieldId` is `status` (Cloud) or, on older Data
Center payloads without `fieldId`, a `jira` item whose `field` is `status` (Cloud may spell it
`Status`). Users are `accountId` on Cloud and `name` on Data Center.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from integrations.jira.mapping import DEFAULT_NA_RESOLUTIONS, derive_state, key_from_labels
from integrations.tracker import WorkState

__all__ = [
    "JiraCommentCreated",
    "JiraEvent",
    "JiraIssueChanged",
    "JiraIssueDeleted",
    "MalformedJiraEvent",
    "StatusChange",
    "key_from_labels",
    "parse_jira_event",
]

ISSUE_CHANGED = ("jira:issue_created", "jira:issue_updated")
ISSUE_IN_URL = re.compile(r"/issue/(\d+)/comment/")


class MalformedJiraEvent(ValueError):
    """A payload of an event we handle lacks a field we need."""


@dataclass(frozen=True)
class StatusChange:
    """A status move from the changelog: ids (stable) and names (for people)."""

    from_id: str | None
    from_name: str | None
    to_id: str | None
    to_name: str | None


@dataclass(frozen=True)
class JiraIssueChanged:
    """`jira:issue_created` / `jira:issue_updated`, with the issue's state after the change."""

    webhook_event: str
    issue_key: str
    issue_id: str
    timestamp: datetime
    actor: str | None
    status_change: StatusChange | None
    status_name: str | None
    status_category: str | None
    resolution: str | None
    state: WorkState | None
    labels: tuple[str, ...]

    @property
    def item_key(self) -> str | None:
        """The controlbot item key carried by the issue's labels."""
        return key_from_labels(self.labels)


@dataclass(frozen=True)
class JiraIssueDeleted:
    """`jira:issue_deleted`."""

    issue_key: str
    issue_id: str
    timestamp: datetime
    actor: str | None
    labels: tuple[str, ...]

    @property
    def item_key(self) -> str | None:
        """The controlbot item key carried by the issue's labels."""
        return key_from_labels(self.labels)


@dataclass(frozen=True)
class JiraCommentCreated:
    """`comment_created`; `issue_key` is None on old Data Center payloads without `issue`."""

    issue_key: str | None
    issue_id: str | None
    comment_id: str
    body: str
    author: str | None
    timestamp: datetime


JiraEvent = JiraIssueChanged | JiraIssueDeleted | JiraCommentCreated


def _dict(value: Any) -> Mapping[str, Any]:
    """`value` when it is an object, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def _str(value: Any) -> str | None:
    """A non-empty string form of `value`, or None."""
    return None if value is None or value == "" else str(value)


def _timestamp(payload: Mapping[str, Any]) -> datetime:
    """`timestamp` (milliseconds since the epoch) as an aware UTC datetime."""
    value = payload.get("timestamp")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise MalformedJiraEvent("the payload has no numeric `timestamp`")
    try:
        return datetime.fromtimestamp(float(value) / 1000, tz=UTC)
    except ValueError as exc:
        raise MalformedJiraEvent(f"bad `timestamp`: {value!r}") from exc


def _actor(user: Any) -> str | None:
    """Cloud `accountId`, else Data Center `name` (then `key`)."""
    user = _dict(user)
    return _str(user.get("accountId")) or _str(user.get("name")) or _str(user.get("key"))


def _issue(payload: Mapping[str, Any]) -> tuple[str, str, Mapping[str, Any]]:
    """The issue's key, id and fields (MalformedJiraEvent without key or id)."""
    issue = _dict(payload.get("issue"))
    key, ident = _str(issue.get("key")), _str(issue.get("id"))
    if key is None or ident is None:
        raise MalformedJiraEvent("the payload's `issue` lacks `key` or `id`")
    return key, ident, _dict(issue.get("fields"))


def _labels(fields: Mapping[str, Any]) -> tuple[str, ...]:
    """The issue's labels."""
    raw = fields.get("labels")
    return tuple(str(label) for label in raw) if isinstance(raw, list) else ()


def _is_status_item(item: Mapping[str, Any]) -> bool:
    """Whether a changelog item is the workflow status (not a custom field named "Status")."""
    if "fieldId" in item:
        return item.get("fieldId") == "status"
    return item.get("fieldtype") == "jira" and str(item.get("field", "")).lower() == "status"


def _status_change(payload: Mapping[str, Any]) -> StatusChange | None:
    """The status item of the changelog, if the change moved the status."""
    items = _dict(payload.get("changelog")).get("items")
    for item in items if isinstance(items, list) else []:
        item = _dict(item)
        if _is_status_item(item):
            return StatusChange(
                _str(item.get("from")),
                _str(item.get("fromString")),
                _str(item.get("to")),
                _str(item.get("toString")),
            )
    return None


def _issue_changed(
    payload: Mapping[str, Any],
    na_resolutions: Iterable[str],
    status_overrides: Mapping[WorkState, str] | None,
) -> JiraIssueChanged:
    """Parse an issue created/updated payload."""
    key, ident, fields = _issue(payload)
    status = _dict(fields.get("status"))
    category = _str(_dict(status.get("statusCategory")).get("key"))
    resolution = _str(_dict(fields.get("resolution")).get("name"))
    status_name = _str(status.get("name"))
    state = derive_state(
        category=category,
        resolution=resolution,
        na_resolutions=na_resolutions,
        status_name=status_name,
        status_overrides=status_overrides,
    )
    return JiraIssueChanged(
        webhook_event=str(payload["webhookEvent"]),
        issue_key=key,
        issue_id=ident,
        timestamp=_timestamp(payload),
        actor=_actor(payload.get("user")),
        status_change=_status_change(payload),
        status_name=status_name,
        status_category=category,
        resolution=resolution,
        state=state,
        labels=_labels(fields),
    )


def _issue_deleted(payload: Mapping[str, Any]) -> JiraIssueDeleted:
    """Parse an issue deleted payload."""
    key, ident, fields = _issue(payload)
    actor = _actor(payload.get("user"))
    return JiraIssueDeleted(key, ident, _timestamp(payload), actor, _labels(fields))


def _comment_text(body: Any) -> str:
    """A comment body: plain text (REST v2 / wiki markup) or the text of an ADF document."""
    if isinstance(body, str):
        return body
    if isinstance(body, Mapping):
        if body.get("type") == "mention":  # as REST v2 writes it, so commands read one form
            return f"[~accountid:{_dict(body.get('attrs')).get('id', '')}]"
        parts = [_comment_text(child) for child in body.get("content") or []]
        joiner = "\n" if body.get("type") == "doc" else ""
        return str(body.get("text", "")) + joiner.join(parts)
    return ""


def _comment_created(payload: Mapping[str, Any]) -> JiraCommentCreated:
    """Parse a comment created payload; the issue id falls back to the comment's URL."""
    comment = _dict(payload.get("comment"))
    comment_id = _str(comment.get("id"))
    if comment_id is None:
        raise MalformedJiraEvent("the payload's `comment` lacks `id`")
    issue = _dict(payload.get("issue"))
    issue_id = _str(issue.get("id"))
    if issue_id is None and (match := ISSUE_IN_URL.search(str(comment.get("self", "")))):
        issue_id = match.group(1)
    return JiraCommentCreated(
        issue_key=_str(issue.get("key")),
        issue_id=issue_id,
        comment_id=comment_id,
        body=_comment_text(comment.get("body")),
        author=_actor(comment.get("author")),
        timestamp=_timestamp(payload),
    )


def parse_jira_event(
    payload: Mapping[str, Any],
    *,
    na_resolutions: Iterable[str] = DEFAULT_NA_RESOLUTIONS,
    status_overrides: Mapping[WorkState, str] | None = None,
) -> JiraEvent | None:
    """The event in a webhook payload, or None for events controlbot does not handle."""
    event = payload.get("webhookEvent")
    if event in ISSUE_CHANGED:
        return _issue_changed(payload, tuple(na_resolutions), status_overrides)
    if event == "jira:issue_deleted":
        return _issue_deleted(payload)
    if event == "comment_created":
        return _comment_created(payload)
    return None
