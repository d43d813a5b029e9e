"""Locks that keep two replicas from doing the same tracker work at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text
from sqlmodel import Session

LOCK_NAMESPACE = 0x0C0B08  # pg_advisory_lock(namespace, release id): one opener per release
LOCK_SQL = "SELECT pg_advisory_lock(:ns, :id)"
UNLOCK_SQL = "SELECT pg_advisory_unlock(:ns, :id)"
_LOCAL_LOCKS: dict[tuple[str, int], threading.Lock] = {}
_LOCAL_LOCKS_GUARD = threading.Lock()


@contextmanager
def release_lock(session: Session, release_id: int) -> Iterator[None]:
    """Hold the release's lock: a PostgreSQL advisory lock on its own connection (it outlives
    the sync's per-item commits and dies with the process), or a process lock for SQLite."""
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    if engine.dialect.name != "postgresql":
        with _LOCAL_LOCKS_GUARD:
            lock = _LOCAL_LOCKS.setdefault((str(engine.url), release_id), threading.Lock())
        with lock:
            yield
        return
    with engine.connect() as connection:
        connection.execute(text(LOCK_SQL), {"ns": LOCK_NAMESPACE, "id": release_id})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text(UNLOCK_SQL), {"ns": LOCK_NAMESPACE, "id": release_id})
            connection.commit()
