"""Errors every tracker adapter raises, translated at its edge from the library's own.

TrackerError
 ├─ TrackerAuthError     credentials refused or lacking permission (not retryable)
 ├─ ItemNotFound         the issue or key does not exist (any more)
 ├─ TrackerRejected      the tracker refused the request as invalid (422/400); carries its reason
 ├─ RateLimited          slow down; carries `retry_after` in seconds
 └─ TrackerUnavailable   5xx, timeout or connection failure; the write may or may not have happened
"""

from __future__ import annotations

from collections.abc import Mapping


class TrackerError(Exception):
    """Root of every error an adapter raises on purpose."""


class TrackerAuthError(TrackerError):
    """The tracker refused our credentials or we lack a permission."""


class ItemNotFound(TrackerError):
    """The tracker item (or repository, project) does not exist."""


class TrackerRejected(TrackerError):
    """The tracker understood the request and refused it (bad field, validation failure).

    `reasons` maps item keys to the tracker's reason when only some items were refused.
    """

    def __init__(self, message: str, *, reasons: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.reasons: dict[str, str] = dict(reasons or {})


class RateLimited(TrackerError):
    """A primary or secondary rate limit was hit; retry after `retry_after` seconds."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TrackerUnavailable(TrackerError):
    """The tracker failed or did not answer; an attempted write is of unknown outcome."""
