"""Translate PyGithub and requests exceptions into the `integrations.errors` tree, in one place."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import requests
from github.GithubException import (
    BadCredentialsException,
    GithubException,
    RateLimitExceededException,
)

from integrations.errors import (
    ItemNotFound,
    RateLimited,
    TrackerAuthError,
    TrackerError,
    TrackerRejected,
    TrackerUnavailable,
)

DEFAULT_RETRY_AFTER = 60.0
_RATE_LIMIT_WORDS = ("secondary rate limit", "api rate limit", "abuse detection")
_NETWORK_ERRORS = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.RetryError,
    requests.exceptions.ChunkedEncodingError,
)


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    """A response header by case-insensitive name."""
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return str(value)
    return None


def retry_after(headers: Mapping[str, Any] | None, now: float) -> float:
    """Seconds to wait: `Retry-After`, else the primary reset when exhausted, else 60."""
    after = _header(headers, "retry-after")
    if after is not None and after.strip().isdigit():
        return float(after)
    reset = _header(headers, "x-ratelimit-reset")
    if _header(headers, "x-ratelimit-remaining") == "0" and reset and reset.isdigit():
        return max(float(reset) - now, 1.0)
    return DEFAULT_RETRY_AFTER


def github_message(data: Any) -> str:
    """GitHub's `message` plus each entry of `errors`, as one readable line."""
    if not isinstance(data, dict):
        return str(data or "")
    parts = [str(data.get("message") or "")]
    for error in data.get("errors") or []:
        if isinstance(error, dict):
            fallback = f"{error.get('resource')}.{error.get('field')} {error.get('code')}"
            parts.append(str(error.get("message") or fallback))
        else:
            parts.append(str(error))
    return ": ".join(p for p in parts if p)


def _is_rate_limit(exc: GithubException, message: str) -> bool:
    """Whether a 403/429 is a primary or secondary rate limit rather than a permission."""
    if exc.status == 429 or isinstance(exc, RateLimitExceededException):
        return True
    lowered = message.lower()
    limited = any(word in lowered for word in _RATE_LIMIT_WORDS)
    return limited or _header(exc.headers, "retry-after") is not None


def from_github(exc: GithubException, now: float) -> TrackerError:
    """The tracker error for one PyGithub exception."""
    message = github_message(exc.data) or str(exc)
    status = exc.status
    if isinstance(exc, BadCredentialsException) or status == 401:
        return TrackerAuthError(f"GitHub refused the credentials: {message}")
    if status in (403, 429) and _is_rate_limit(exc, message):
        wait = retry_after(exc.headers, now)
        return RateLimited(f"GitHub rate limit: {message}", retry_after=wait)
    if status == 403:
        return TrackerAuthError(f"GitHub denied the request: {message}")
    if status in (404, 410):
        return ItemNotFound(f"GitHub has no such item: {message}")
    if status >= 500:
        return TrackerUnavailable(f"GitHub failed ({status}): {message}")
    return TrackerRejected(f"GitHub rejected the request ({status}): {message}")


@contextmanager
def translated(*, clock: Callable[[], float] = time.time) -> Iterator[None]:
    """Run a block of PyGithub calls; re-raise library failures as `TrackerError`s."""
    try:
        yield
    except GithubException as exc:
        raise from_github(exc, clock()) from exc
    except _NETWORK_ERRORS as exc:
        raise TrackerUnavailable(f"GitHub did not answer: {exc}") from exc
