"""Client-side pacing of GitHub's content-creating requests (secondary limits are ours to respect).

GitHub documents 80 content-creating requests per minute and 500 per hour per installation and
enforces less in practice (anchors, pitfall 1), so writes are spaced `min_interval` apart and a
sliding hour may hold at most `hourly_budget` of them; past that the caller reschedules. The gap
is counted from when the previous write *finished* (`after_write`), so network jitter can never
make two writes reach GitHub closer together than `min_interval`.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from integrations.errors import RateLimited

HOUR = 3600.0


class WritePacer:
    """Spaces writes `min_interval` apart and caps them at `hourly_budget` per sliding hour."""

    def __init__(
        self,
        min_interval: float = 1.0,
        hourly_budget: int = 400,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_sleep: float = 120.0,
    ) -> None:
        if min_interval < 0 or hourly_budget < 1:
            raise ValueError("min_interval must be >= 0 and hourly_budget >= 1")
        self.min_interval = min_interval
        self.hourly_budget = hourly_budget
        self.max_sleep = max_sleep
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._last_done = float("-inf")
        self._not_before = float("-inf")
        self._lock = threading.Lock()

    def before_write(self) -> None:
        """Wait until the next write is allowed, or raise RateLimited when the hour is used up."""
        with self._lock:
            now = self._clock()
            self._forget_before(now - HOUR)
            if len(self._sent) >= self.hourly_budget:
                wait = self._sent[0] + HOUR - now
                raise RateLimited("hourly write budget used up", retry_after=max(wait, 1.0))
            wait = self._earliest() - now
            if wait > self.max_sleep:
                raise RateLimited("writes are paused after a rate limit", retry_after=wait)
            if wait > 0:
                self._sleep(wait)
                now = self._clock()
            self._sent.append(now)

    def after_write(self) -> None:
        """Mark the end of a write (answered or failed); the next gap starts here."""
        with self._lock:
            self._last_done = self._clock()

    def note_retry_after(self, seconds: float) -> None:
        """Push the next write out by `seconds` after GitHub answered with a rate limit."""
        with self._lock:
            self._not_before = max(self._not_before, self._clock() + seconds)

    def used_this_hour(self) -> int:
        """How many writes the sliding hour holds right now."""
        with self._lock:
            self._forget_before(self._clock() - HOUR)
            return len(self._sent)

    def _earliest(self) -> float:
        """When the next write may go: a gap after the previous one, and after any Retry-After."""
        last = max(self._sent[-1] if self._sent else float("-inf"), self._last_done)
        return max(last + self.min_interval, self._not_before)

    def _forget_before(self, cutoff: float) -> None:
        """Drop writes that left the sliding hour."""
        while self._sent and self._sent[0] <= cutoff:
            self._sent.popleft()
