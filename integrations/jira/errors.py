"""Translate `JIRAError` and requests failures into `integrations.errors`, in one place.

Use `translate(action)` as a context manager or a decorator around every call that reaches Jira:
401/403 -> TrackerAuthError, 404 -> ItemNotFound, other 4xx -> TrackerRejected (with Jira's field
messages), 429 -> RateLimited(retry_after from `Retry-After`), 5xx, timeouts and connection
failures -> TrackerUnavailable.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from jira import JIRAError

from integrations.errors import (
    ItemNotFound,
    RateLimited,
    TrackerAuthError,
    TrackerError,
    TrackerRejected,
    TrackerUnavailable,
)

DEFAULT_RETRY_AFTER = 60.0


def _body(exc: JIRAError) -> Any:
    """The JSON body of the failed response, or None."""
    if exc.response is None:
        return None
    try:
        return json.loads(exc.response.text or "null")
    except ValueError:
        return None


def jira_messages(exc: JIRAError) -> list[str]:
    """Jira's messages: `errorMessages` plus `field: message` for each entry of `errors`."""
    body = _body(exc)
    if not isinstance(body, dict):
        return [exc.text] if exc.text else []
    messages = [str(m) for m in body.get("errorMessages") or []]
    errors = body.get("errors")
    if isinstance(errors, dict):
        messages += [f"{field}: {message}" for field, message in errors.items()]
    if body.get("message"):
        messages.append(str(body["message"]))
    return messages or ([exc.text] if exc.text else [])


def retry_after(exc: JIRAError, *, now: datetime | None = None) -> float:
    """Seconds to wait from `Retry-After` (seconds or an HTTP date), else a safe default."""
    value = exc.response.headers.get("Retry-After") if exc.response is not None else None
    if not value:
        return DEFAULT_RETRY_AFTER
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER
    return max((moment - (now or datetime.now(UTC))).total_seconds(), 0.0)


def from_jira_error(exc: JIRAError, action: str) -> TrackerError:
    """The tracker error for one failed Jira call."""
    status = exc.status_code
    detail = "; ".join(jira_messages(exc)) or "no details"
    message = f"Jira {action} failed ({status}): {detail}"
    if status in (401, 403):
        return TrackerAuthError(message)
    if status == 404:
        return ItemNotFound(message)
    if status == 429:
        return RateLimited(message, retry_after=retry_after(exc))
    if status is None:
        return TrackerError(message)
    if status >= 500:
        return TrackerUnavailable(message)
    return TrackerRejected(message)


@contextmanager
def translate(action: str) -> Iterator[None]:
    """Re-raise library and transport errors of the block as `integrations.errors`."""
    try:
        yield
    except JIRAError as exc:
        raise from_jira_error(exc, action) from exc
    except requests.Timeout as exc:
        raise TrackerUnavailable(f"Jira {action} timed out: {exc}") from exc
    except requests.RequestException as exc:
        raise TrackerUnavailable(f"Jira {action} failed: {exc}") from exc
