"""A background thread that drains the outbox: tracker writes happen here, never in requests."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from sqlalchemy import Engine

from workflows.jobs import TrackerFor, drain

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    """The wall clock in UTC, read at the edge and passed into workflows."""
    return datetime.now(UTC)


class OutboxWorker:
    """Drains due outbox jobs every `interval` seconds until stopped."""

    def __init__(self, engine: Engine, tracker_for: TrackerFor, *, interval: float) -> None:
        self._engine, self._tracker_for, self._interval = engine, tracker_for, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="outbox-worker", daemon=True)

    def start(self) -> None:
        """Start draining in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Ask the loop to finish and wait for it."""
        self._stop.set()
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                stats = drain(engine=self._engine, tracker_for=self._tracker_for, clock=utcnow)
                busy = stats.done + stats.retried + stats.dead > 0
            except Exception:  # NOTE: the loop must outlive any one failure; leased jobs come back
                log.exception("outbox drain failed; retrying")
                busy = False
            if not busy:
                self._stop.wait(self._interval)
