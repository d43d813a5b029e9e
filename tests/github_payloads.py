"""Real GitHub webhook payloads (octokit examples) adapted to a test's repository and issue."""

from __future__ import annotations

import copy
import json
import uuid
from functools import cache
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from bot.security import sign

FIXTURES = Path(__file__).parent / "fixtures" / "github"


@cache
def _raw(name: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return result


def payload(
    name: str,
    *,
    repo: str = "octo/atlas",
    number: int | None = None,
    installation_id: int = 1,
    sender: str | None = None,
    sender_type: str = "User",
    default_branch: str = "main",
    **top: Any,
) -> dict[str, Any]:
    """A fixture with its repository, issue number, installation and sender replaced."""
    data = copy.deepcopy(_raw(name))
    if "repository" in data:
        owner, name_ = repo.split("/")
        data["repository"].update(full_name=repo, name=name_, default_branch=default_branch)
        data["repository"]["owner"]["login"] = owner
    if number is not None and "issue" in data:
        data["issue"]["number"] = number
        data["issue"]["id"] = 10_000 + number
    if "installation" in data:
        data["installation"]["id"] = installation_id
    if sender is not None:
        data["sender"].update(login=sender, type=sender_type)
        if "comment" in data:
            data["comment"]["user"].update(login=sender, type=sender_type)
    data.update(top)
    return data


def post(
    client: TestClient,
    event: str,
    body: dict[str, Any] | bytes,
    *,
    secret: str,
    delivery_id: str | None = None,
    signature: str | None = None,
) -> Any:
    """POST a delivery with the headers GitHub sends."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/abc123",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
        "X-GitHub-Hook-ID": "42",
        "X-GitHub-Hook-Installation-Target-Type": "integration",
        "X-GitHub-Hook-Installation-Target-ID": "7",
        "X-Hub-Signature-256": signature if signature is not None else sign(raw, secret),
    }
    return client.post("/webhooks/github", content=raw, headers=headers)
