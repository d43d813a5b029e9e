"""Webhook payloads the fake Jira would send, in Jira's real shape (`jira:issue_updated`, ...).

The fake does not POST them itself: tests deliver them, so they control order and lateness.
`user=None` means the change was made by the bot's own account.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import uuid
from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient

from . import render, render_issue
from .models import StatusChange
from .render import Ctx
from .state import FakeJira

_changelog_ids = itertools.count(10200)


def _millis(moment: datetime) -> int:
    """Jira's `timestamp`: milliseconds since the epoch."""
    return int(moment.timestamp() * 1000)


def _who(fake: FakeJira, ctx: Ctx, user: str | None) -> dict[str, Any]:
    """The acting user's object."""
    return render.user(ctx) if user is None else fake.user_json(user, ctx.base)


def _issue(fake: FakeJira, ctx: Ctx, key: str) -> dict[str, Any]:
    """The issue as webhooks carry it (all fields, no `expand`)."""
    data = render_issue.issue(ctx, fake.issue(key))
    data.pop("expand", None)
    del data["fields"]["comment"]
    return data


def issue_updated(
    fake: FakeJira, base: str, change: StatusChange, *, user: str | None, at: datetime
) -> dict[str, Any]:
    """`jira:issue_updated` for a status change, with the issue as it is now."""
    ctx = Ctx(fake, base, "2")
    items = [change.changelog_item()]
    if change.resolution is not None:
        ident = next((r.id for r in fake.resolutions if r.name == change.resolution), None)
        resolution = {"field": "resolution", "fieldtype": "jira", "fieldId": "resolution"}
        moved = {"from": None, "fromString": None, "to": ident, "toString": change.resolution}
        items.insert(0, resolution | moved)
    return {
        "timestamp": _millis(at),
        "webhookEvent": "jira:issue_updated",
        "issue_event_type_name": "issue_generic",
        "user": _who(fake, ctx, user),
        "issue": _issue(fake, ctx, change.key),
        "changelog": {"id": str(next(_changelog_ids)), "items": items},
    }


def comment_created(
    fake: FakeJira, base: str, key: str, body: str, *, user: str | None, at: datetime
) -> dict[str, Any]:
    """`comment_created` for a comment the user just added to the issue (stored in the fake)."""
    ctx = Ctx(fake, base, "2")
    issue = fake.issue(key)
    comment = render.comment(ctx, issue, fake.add_comment(key, body, user))
    summary = _issue(fake, ctx, key)
    keep = ("summary", "issuetype", "project", "status", "assignee", "priority")
    summary["fields"] = {k: v for k, v in summary["fields"].items() if k in keep}
    return {
        "timestamp": _millis(at),
        "webhookEvent": "comment_created",
        "comment": comment,
        "issue": summary,
    }


def issue_deleted(
    fake: FakeJira, base: str, key: str, *, user: str | None, at: datetime
) -> dict[str, Any]:
    """`jira:issue_deleted`, rendered before the issue is removed from the fake."""
    ctx = Ctx(fake, base, "2")
    payload = {
        "timestamp": _millis(at),
        "webhookEvent": "jira:issue_deleted",
        "issue_event_type_name": "issue_deleted",
        "user": _who(fake, ctx, user),
        "issue": _issue(fake, ctx, key),
    }
    fake.delete_issue(key)
    return payload


def sign(body: bytes, secret: str) -> str:
    """Jira's `X-Hub-Signature` value for a body: `sha256=<hex HMAC-SHA256>`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(
    client: TestClient,
    body: dict[str, Any] | bytes,
    *,
    secret: str,
    identifier: str | None = None,
    retry: int = 0,
    signature: str | None = None,
) -> Any:
    """POST a delivery to `/webhooks/jira` with Jira's headers (a fresh identifier by default)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Atlassian-Webhook-Identifier": identifier or str(uuid.uuid4()),
        "X-Atlassian-Webhook-Retry": str(retry),
        "X-Atlassian-Webhook-Flow": "Primary",
        "User-Agent": "Atlassian Webhook HTTP Client",
        "X-Hub-Signature": sign(raw, secret) if signature is None else signature,
    }
    if identifier == "":
        del headers["X-Atlassian-Webhook-Identifier"]
    if signature == "":
        del headers["X-Hub-Signature"]
    return client.post("/webhooks/jira", content=raw, headers=headers)
