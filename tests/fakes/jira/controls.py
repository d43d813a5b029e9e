"""Failure switches and the request log of the fake Jira."""

from __future__ import annotations

import re
import threading

from .models import Fault, RequestRecord


class Controls:
    """Scheduled 429/5xx answers, ghost creates and a request log; a base of `FakeJira`."""

    lock: threading.RLock

    def reset_controls(self) -> None:
        """Drop scheduled faults, ghost creates and the request log."""
        with self.lock:
            self.faults: list[Fault] = []
            self.ghost_creates = 0
            self.requests: list[RequestRecord] = []

    def rate_limit_next(
        self, n: int, retry_after: int = 1, path_pattern: str | None = None
    ) -> None:
        """Answer the next `n` (matching) requests with 429 and `Retry-After`."""
        with self.lock:
            self.faults.append(Fault(429, n, retry_after, path_pattern))

    def fail_next(
        self,
        n: int,
        status: int = 500,
        path_pattern: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next `n` (matching, by regex on the path) requests with a 5xx."""
        with self.lock:
            self.faults.append(Fault(status, n, retry_after, path_pattern))

    def ghost_create_next(self, n: int = 1) -> None:
        """The next `n` creates (single or bulk) store their issues and then answer 500."""
        with self.lock:
            self.ghost_creates += n

    def take_fault(self, path: str) -> Fault | None:
        """Consume one scheduled fault that applies to `path`, if any."""
        with self.lock:
            for fault in self.faults:
                if fault.path_pattern is None or re.search(fault.path_pattern, path):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def take_ghost(self) -> bool:
        """Consume one scheduled ghost create."""
        with self.lock:
            if self.ghost_creates <= 0:
                return False
            self.ghost_creates -= 1
            return True

    def record(self, method: str, path: str, query: str, status: int) -> None:
        """Log one request and the status it got."""
        with self.lock:
            self.requests.append(RequestRecord(method, path, query, status))

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """How many logged requests had this method and a path matching the regex `path`."""
        with self.lock:
            return sum(
                1
                for r in self.requests
                if (method is None or r.method == method.upper())
                and (path is None or re.search(path, r.path))
            )
