"""Tracker adapters (GitHub, Jira): I/O only, built from ready clients; imports nothing of ours."""

from integrations.errors import (
    ItemNotFound,
    RateLimited,
    TrackerAuthError,
    TrackerError,
    TrackerRejected,
    TrackerUnavailable,
)
from integrations.tracker import (
    EnsureResult,
    ItemRef,
    ItemSpec,
    OnEnsured,
    RemoteState,
    Tracker,
    WorkState,
)

__all__ = [
    "EnsureResult",
    "ItemNotFound",
    "ItemRef",
    "ItemSpec",
    "OnEnsured",
    "RateLimited",
    "RemoteState",
    "Tracker",
    "TrackerAuthError",
    "TrackerError",
    "TrackerRejected",
    "TrackerUnavailable",
    "WorkState",
]
