"""Database engine and sessions: SQLite by default, PostgreSQL in production."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for the URL; SQLite gets foreign keys, WAL and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **kwargs)
    engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Enforce foreign keys and let readers and one writer work side by side."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
        cursor.execute("PRAGMA journal_mode=WAL")
        # NOTE: in WAL mode NORMAL never corrupts; a power cut may lose the last commits only.
        cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that is closed (and rolled back if uncommitted) on exit."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


_SQLITE_WRITERS: dict[str, threading.Lock] = {}


def writer_lock(engine: Engine) -> AbstractContextManager[Any]:
    """One writer at a time on a SQLite file, queued in process instead of SQLite's busy backoff.

    SQLite allows a single writer; letting threads contend makes them sleep in its busy
    handler (up to 100 ms a try), which is where slow requests came from. PostgreSQL: no lock.
    """
    if engine.dialect.name != "sqlite":
        return nullcontext()
    return _SQLITE_WRITERS.setdefault(str(engine.url), threading.Lock())


def ping(engine: Engine) -> None:
    """Run a trivial query; raises SQLAlchemy's error if the database is unreachable."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
