"""Behaviour switches: primary and secondary rate limits, injected failures."""

from __future__ import annotations

import math
import re
from collections import deque
from dataclasses import dataclass, field

SEARCH_LIMIT_PER_MINUTE = 30
ANONYMOUS_LIMIT_PER_HOUR = 60
_CONTENT_PATH = re.compile(r"^/repos/[^/]+/[^/]+/(issues|labels|milestones|check-runs)(/|$)")
_ISSUE_CREATE = re.compile(r"^/repos/[^/]+/[^/]+/issues/?$")


def is_content_creating(method: str, path: str) -> bool:
    """A write to issues, comments, labels, milestones, sub-issues or check runs."""
    return method in {"POST", "PATCH", "PUT", "DELETE"} and bool(_CONTENT_PATH.match(path))


def is_issue_create(method: str, path: str) -> bool:
    """`POST /repos/{o}/{r}/issues`."""
    return method == "POST" and bool(_ISSUE_CREATE.match(path))


@dataclass
class Bucket:
    """One primary rate-limit window for one caller and resource (`core`, `search`)."""

    resource: str
    limit: int
    used: int
    reset_at: float

    def headers(self) -> dict[str, str]:
        """The `x-ratelimit-*` headers GitHub sends on every response."""
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(max(self.limit - self.used, 0)),
            "x-ratelimit-used": str(self.used),
            "x-ratelimit-reset": str(math.ceil(self.reset_at)),
            "x-ratelimit-resource": self.resource,
        }

    def as_json(self) -> dict[str, int | str]:
        """The bucket as `GET /rate_limit` shows it."""
        return {
            "limit": self.limit,
            "remaining": max(self.limit - self.used, 0),
            "reset": math.ceil(self.reset_at),
            "used": self.used,
            "resource": self.resource,
        }


@dataclass
class PrimaryLimits:
    """Per-caller hourly `core` budget (default 5,000) and a 30/min `search` budget."""

    core_limit: int = 5000
    core_window: float = 3600.0
    default_remaining: int | None = None
    buckets: dict[tuple[str, str], Bucket] = field(default_factory=dict)

    def bucket(self, caller: str, resource: str, now: float) -> Bucket:
        """The caller's current window, opened or rolled over as needed."""
        key = (caller, resource)
        found = self.buckets.get(key)
        if found is None or found.reset_at <= now:
            limit, window = self.core_limit, self.core_window
            if resource == "search":
                limit, window = SEARCH_LIMIT_PER_MINUTE, 60.0
            elif caller.startswith("anon:"):
                limit, window = ANONYMOUS_LIMIT_PER_HOUR, 3600.0
            found = Bucket(resource=resource, limit=limit, used=0, reset_at=now + window)
            self.buckets[key] = found
        return found

    def configure(self, limit: int, remaining: int | None, now: float, reset_in: float) -> None:
        """Set the core limit and, for windows open now, how much is left."""
        self.core_limit = limit
        self.core_window = reset_in
        for (caller, resource), bucket in self.buckets.items():
            if resource == "core" and not caller.startswith("anon:"):
                bucket.limit = limit
                bucket.used = limit - (limit if remaining is None else remaining)
                bucket.reset_at = now + reset_in
        self.default_remaining = remaining

    def open_core(self, caller: str, now: float) -> Bucket:
        """The core bucket, honouring a `remaining` set before this caller's first request."""
        fresh = (caller, "core") not in self.buckets
        bucket = self.bucket(caller, "core", now)
        if fresh and self.default_remaining is not None and not caller.startswith("anon:"):
            bucket.used = bucket.limit - self.default_remaining
        return bucket


@dataclass
class SecondaryLimit:
    """GitHub's content-creation limit: a minimum gap between writes and N writes per minute."""

    enabled: bool = False
    min_interval: float = 1.0
    per_minute: int = 80
    retry_after: int = 1
    status: int = 403
    hits: int = 0
    accepted: deque[float] = field(default_factory=deque)

    def check(self, now: float) -> int | None:
        """Seconds to wait if this write is refused; otherwise record it and return None."""
        if not self.enabled:
            return None
        while self.accepted and self.accepted[0] <= now - 60:
            self.accepted.popleft()
        too_soon = bool(self.accepted) and now - self.accepted[-1] < self.min_interval
        if too_soon or len(self.accepted) >= self.per_minute:
            self.hits += 1
            return self.retry_after
        self.accepted.append(now)
        return None


@dataclass
class Fault:
    """A queued misbehaviour: `fail` (answer status), `timeout` (answer late), `ghost`."""

    kind: str
    remaining: int
    status: int = 502
    seconds: float = 0.0
    pattern: re.Pattern[str] | None = None
    method: str | None = None

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault applies to the request."""
        if self.method and self.method.upper() != method:
            return False
        return self.pattern is None or bool(self.pattern.search(path))


@dataclass
class Faults:
    """Queued faults, consumed in order of registration."""

    queued: list[Fault] = field(default_factory=list)

    def add(self, fault: Fault) -> None:
        """Queue a fault."""
        self.queued.append(fault)

    def peek(self, kind: str, method: str, path: str) -> Fault | None:
        """The first live fault of this kind matching the request."""
        for fault in self.queued:
            if fault.kind == kind and fault.remaining > 0 and fault.matches(method, path):
                return fault
        return None

    def take(self, kind: str, method: str, path: str) -> Fault | None:
        """Like `peek`, and use up one of its occurrences."""
        fault = self.peek(kind, method, path)
        if fault is not None:
            fault.remaining -= 1
            if fault.remaining == 0:
                self.queued.remove(fault)
        return fault
